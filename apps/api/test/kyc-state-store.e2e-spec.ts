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
import type { Sql } from '../src/database/sql.js'
import { createTestDatabase } from './support/databases.js'

let db: Awaited<ReturnType<typeof createTestDatabase>>
let client: pg.Client
let sql: Sql

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
  await client.query(
    `INSERT INTO customers (id, align_customer_id, email, email_normalized, type, updated_at)
     VALUES ($1, $2, $3, $3, 'individual', now())`,
    [id, `align-${id}`, `store-${id}@example.com`],
  )
  return id
}

const synchronousCommit = async () =>
  (await client.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]!.synchronous_commit

beforeAll(async () => {
  db = await createTestDatabase()
  client = new pg.Client({ connectionString: db.url })
  await client.connect()
  sql = async <T>(text: string, params: unknown[] = []) => (await client.query(text, params)).rows as T[]
})

afterAll(async () => {
  await client?.end()
  await db?.drop()
})

describe("applyReadingIfUnchanged, commit: 'async'", () => {
  it('is off inside its own transaction, and on again once that transaction ends', async () => {
    const id = await newCustomer()
    expect(await synchronousCommit()).toBe('on')
    await client.query('BEGIN')
    try {
      const applied = await applyReadingIfUnchanged(sql, id, pending(), NOT_STARTED, { commit: 'async' })
      expect(applied?.customer.kyc.status).toBe('pending')
      expect(await synchronousCommit()).toBe('off')
    } finally {
      await client.query('COMMIT')
    }
    expect(await synchronousCommit()).toBe('on')
  })

  it('autocommitted (as the service runs it): writes state and history, and leaves the connection durable', async () => {
    const id = await newCustomer()
    const applied = await applyReadingIfUnchanged(sql, id, pending(), NOT_STARTED, { commit: 'async' })
    expect(applied?.decision.outcome).toBe('applied')
    expect(await synchronousCommit()).toBe('on')
    const row = (
      await client.query(
        `SELECT c.kyc_status::text AS status, c.kyc_sub_status::text AS sub, c.rails,
                (SELECT count(*)::int FROM kyc_status_history h WHERE h.customer_id = c.id AND h.source = 'session') AS history
           FROM customers c WHERE c.id = $1`,
        [id],
      )
    ).rows[0]
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
    expect(await applyReadingIfUnchanged(sql, id, pending(), stale, { commit: 'async' })).toBeNull()
    const { rows } = await client.query(`SELECT kyc_status::text AS status FROM customers WHERE id = $1`, [
      id,
    ])
    expect(rows[0]).toEqual({ status: 'not_started' })
  })

  it('by default commits durably: synchronous_commit stays on inside the transaction', async () => {
    const id = await newCustomer()
    await client.query('BEGIN')
    try {
      expect(await applyReadingIfUnchanged(sql, id, pending(), NOT_STARTED)).not.toBeNull()
      expect(await synchronousCommit()).toBe('on')
    } finally {
      await client.query('ROLLBACK')
    }
  })
})
