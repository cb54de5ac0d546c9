import pg from 'pg'

/** Server the e2e suite uses; override with TEST_DATABASE_URL (any database on the server). */
export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
export const TEMPLATE_DB = `align_kyc_template_${process.env.E2E_RUN_ID ?? 'local'}`

export function urlFor(database: string): string {
  const u = new URL(ADMIN_URL)
  u.pathname = `/${database}`
  return u.toString()
}

/** Runs `fn` with one client on the server's admin database (`url`, default ADMIN_URL), then closes it. */
export async function admin<T>(fn: (client: pg.Client) => Promise<T>, url = ADMIN_URL): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

let counter = 0

/** A fresh, migrated database for one test file (a copy of the run's template). */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `align_kyc_e2e_${process.env.E2E_RUN_ID ?? 'local'}_${process.pid}_${counter++}`
  await admin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${TEMPLATE_DB}"`))
  return {
    url: urlFor(name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  }
}
