import { createHash } from 'node:crypto'
import type { PGlite, Transaction } from '@electric-sql/pglite'
import pg from 'pg'
import { guardClient } from './pg-connections.js'
import type { Tx } from './tx.js'

/** Runs one parameterised statement and returns its rows. */
export type Sql = <T = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<T[]>

/**
 * Plain SQL on the same connections Prisma uses, for the hot paths where Prisma's per-statement cost
 * matters. Measured here (apps/api/bench, README): a statement inside a Prisma interactive
 * transaction costs ~0.7 ms against ~0.15 ms on the pg client below, which put the cold KYC link
 * path at ~10 ms over Align's round trips (target: 5). Only repositories use it.
 */
export type SqlDatabase = {
  query: Sql
  /** BEGIN … COMMIT on one connection (ROLLBACK if `fn` throws). */
  transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T>
  /**
   * LISTENs on `channels` and calls `onNotify(channel, payload)` for each notification (delivered at
   * the notifying transaction's commit). On a server this is one dedicated connection outside the
   * pool, re-opened a second after it drops; `onNotify` is then called for every channel with no
   * payload (`undefined`), because what was notified meanwhile is lost. Resolves to a function that
   * stops listening.
   */
  listen(
    channels: readonly string[],
    onNotify: (channel: string, payload?: string) => void,
  ): Promise<() => Promise<void>>
  /** Ends the connection pool (the embedded database is closed by its owner). */
  close(): Promise<void>
}

/**
 * Every statement text gets a stable name, so each connection parses and plans it once (a prepared
 * statement) instead of on every call. The texts are constants or a handful of shapes, so the map
 * stays small.
 */
const names = new Map<string, string>()
function prepared(text: string, values: unknown[]): pg.QueryConfig {
  let name = names.get(text)
  if (name === undefined) {
    name = `ak_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`
    names.set(text, name)
  }
  return { name, text, values }
}

/**
 * On the pg pool that @prisma/adapter-pg also uses. The pool must come from createPgPool
 * (pg-connections.ts): a client checked out here for a transaction then has an error listener for
 * the time it is out, so a backend terminated mid-transaction fails the transaction, not the process.
 */
export function pgDatabase(pool: pg.Pool): SqlDatabase {
  return {
    query: async <T>(text: string, params: unknown[] = []) =>
      (await pool.query(prepared(text, params))).rows as T[],
    close: () => (pool.ended ? Promise.resolve() : pool.end()),
    listen: (channels, onNotify) => listenOnServer(pool, channels, onNotify),
    async transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
      const client = await pool.connect()
      let broken: Error | undefined
      try {
        await client.query('BEGIN')
        const sql: Sql = async <R>(text: string, params: unknown[] = []) =>
          (await client.query(prepared(text, params))).rows as R[]
        const result = await fn(sql)
        await client.query('COMMIT')
        return result
      } catch (e) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError))
        throw e
      } finally {
        client.release(broken)
      }
    },
  }
}

/** On the embedded PGlite (one connection: transactions serialise everything, as they must). */
export function pgliteDatabase(db: PGlite): SqlDatabase {
  const run =
    (q: PGlite | Transaction): Sql =>
    async <T>(text: string, params: unknown[] = []) =>
      (await q.query<T>(text, params)).rows
  return {
    query: run(db),
    close: async () => undefined,
    async listen(channels, onNotify) {
      const stops = await Promise.all(channels.map((c) => db.listen(c, (payload) => onNotify(c, payload))))
      return async () => {
        if (!db.closed) await Promise.all(stops.map((stop) => stop()))
      }
    },
    transaction: <T>(fn: (sql: Sql) => Promise<T>) => db.transaction((tx) => fn(run(tx))),
  }
}

const RELISTEN_MS = 1_000

async function listenOnServer(
  pool: pg.Pool,
  channels: readonly string[],
  onNotify: (channel: string, payload?: string) => void,
): Promise<() => Promise<void>> {
  let stopped = false
  let client: pg.Client | null = null
  let retry: NodeJS.Timeout | null = null
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: pool.options.connectionString })
    guardClient(c)
    const lost = () => {
      if (client !== c) return
      client = null
      void c.end().catch(() => undefined)
      schedule()
    }
    c.on('error', lost)
    c.on('end', lost)
    c.on('notification', (n) => onNotify(n.channel, n.payload))
    client = c
    try {
      await c.connect()
      for (const channel of channels) await c.query(`LISTEN "${channel}"`)
    } catch (e) {
      lost()
      throw e
    }
  }
  const schedule = () => {
    if (stopped || retry) return
    retry = setTimeout(() => {
      retry = null
      connect()
        .then(() => channels.forEach((channel) => onNotify(channel)))
        .catch(() => undefined) // lost() has scheduled the next try
    }, RELISTEN_MS)
    retry.unref()
  }
  await connect().catch(() => undefined) // a database that is down now: retried every second
  return async () => {
    stopped = true
    if (retry) clearTimeout(retry)
    const c = client
    client = null
    await c?.end().catch(() => undefined)
  }
}

/** The same statements inside a Prisma interactive transaction (for writes that join one). */
export function prismaSql(tx: Tx): Sql {
  return <T>(text: string, params: unknown[] = []) => tx.$queryRawUnsafe<T[]>(text, ...params)
}
