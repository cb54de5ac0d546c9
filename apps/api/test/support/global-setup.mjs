// Once per e2e run: a template database with every migration applied (each test file clones it).
// Plain ESM on the built migrator: jest loads global setup outside its module mapper.
import pg from 'pg'
import { Migrator } from '../../dist/database/migrator/migrator.js'

export const adminUrl = () => process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'

export async function admin(fn) {
  const client = new pg.Client({ connectionString: adminUrl() })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

export default async function globalSetup() {
  process.env.E2E_RUN_ID ??= String(process.pid)
  const name = `align_kyc_template_${process.env.E2E_RUN_ID}`
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    await c.query(`CREATE DATABASE "${name}"`)
  })
  const u = new URL(adminUrl())
  u.pathname = `/${name}`
  await new Migrator().deploy({ kind: 'postgres', url: u.toString() })
}
