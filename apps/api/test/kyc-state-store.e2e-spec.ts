/*
 * The KYC write path (src/kyc/kyc-state.store.ts) on the machine's PostgreSQL, without the app: what
 * `commit: 'async'` does to the connection it runs on. The statement turns synchronous_commit off for
 * its own transaction only; were it to leak (a session-level SET), every later transaction on that
 * pooled connection, webhook deliveries included, would silently stop waiting for the WAL flush.
 */
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import type { KycState } from '@align-kyc/domain'
import { applyReadingIfUnchanged } from '../src/kyc/kyc-state.store.js'
import type { AlignReading } from '../src/kyc/kyc-observation.js'
import { pgDatabase, type Sql, type SqlDatabase } from '../src/database/sql.js'
import { createTestDatabase } from './support/databases.js'

let db: Awaited<ReturnType<typeof createTestDatabase>>
// The service's own SQL layer (named prepared statements, BEGIN/COMMIT) on a pool of ONE connection,
// so every check below runs on the connection the write ran on.
let conn: SqlDatabase

const NOT_STARTED: KycState = { status: 'not_started', subStatus: null, observedAt: null }

const pending = (): AlignReading => ({
  observation: {
    status: 'pending',
    subStatus: 'kyc_form_submission_started',
    observedAt: new Date(),
    source: 'session',
  },
  rails: [{ currency: 'usd', paymentRail: 'ach', status: 'pending' }],
})

async function newCustomer(): Promise<string> {
  const id = randomUUID()
  await conn.query(
    `INSERT INTO customers (id, align_customer_id, email, email_normalized, type, updated_at)
     VALUES ($1, $2, $3, $3, 'individual', now())`,
    [id, `align-${id}`, `store-${id}@example.com`],
  )
  return id
}

const synchronousCommit = async (sql: Sql = conn.query) =>
  (await sql<{ synchronous_commit: string }>('SHOW synchronous_commit'))[0]!.synchronous_commit

beforeAll(async () => {
  db = await createTestDatabase()
  conn = pgDatabase(new pg.Pool({ connectionString: db.url, max: 1 }))
})

afterAll(async () => {
  await conn?.close()
  await db?.drop()
})

describe("applyReadingIfUnchanged, commit: 'async'", () => {
  it('is off inside its own transaction, and on again once that transaction ends', async () => {
    const id = await newCustomer()
    expect(await synchronousCommit()).toBe('on')
    await conn.transaction(async (sql) => {
      const applied = await applyReadingIfUnchanged(sql, id, pending(), NOT_STARTED, { commit: 'async' })
      expect(applied?.customer.kyc.status).toBe('pending')
      expect(await synchronousCommit(sql)).toBe('off')
    })
    expect(await synchronousCommit()).toBe('on')
  })

  it('autocommitted (as the service runs it): writes state and history, and leaves the connection durable', async () => {
    const id = await newCustomer()
    const applied = await applyReadingIfUnchanged(conn.query, id, pending(), NOT_STARTED, { commit: 'async' })
    expect(applied?.decision.outcome).toBe('applied')
    expect(await synchronousCommit()).toBe('on')
    const [row] = await conn.query(
      `SELECT c.kyc_status::text AS status, c.kyc_sub_status::text AS sub, c.rails,
              (SELECT count(*)::int FROM kyc_status_history h WHERE h.customer_id = c.id AND h.source = 'session') AS history
         FROM customers c WHERE c.id = $1`,
      [id],
    )
    expect(row).toEqual({
      status: 'pending',
      sub: 'kyc_form_submission_started',
      rails: [{ currency: 'usd', paymentRail: 'ach', status: 'pending' }],
      history: 1,
    })
  })

  it('writes nothing when the state changed meanwhile (null), async or not', async () => {
    const id = await newCustomer()
    const stale: KycState = { status: 'pending', subStatus: 'kyc_form_submission_started', observedAt: null }
    expect(await applyReadingIfUnchanged(conn.query, id, pending(), stale, { commit: 'async' })).toBeNull()
    const rows = await conn.query(`SELECT kyc_status::text AS status FROM customers WHERE id = $1`, [id])
    expect(rows[0]).toEqual({ status: 'not_started' })
  })

  it('by default commits durably: synchronous_commit stays on inside the transaction', async () => {
    const id = await newCustomer()
    const rollBack = new Error('roll back')
    await expect(
      conn.transaction(async (sql) => {
        expect(await applyReadingIfUnchanged(sql, id, pending(), NOT_STARTED)).not.toBeNull()
        expect(await synchronousCommit(sql)).toBe('on')
        throw rollBack
      }),
    ).rejects.toBe(rollBack)
  })
})
