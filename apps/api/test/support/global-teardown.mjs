import { admin } from './global-setup.mjs'

export default async function globalTeardown() {
  await admin(async (c) => {
    const { rows } = await c.query(`SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2`, [
      `align_kyc_template_${process.env.E2E_RUN_ID}`,
      `align_kyc_e2e_${process.env.E2E_RUN_ID}_%`,
    ])
    for (const r of rows) await c.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`)
  })
}
