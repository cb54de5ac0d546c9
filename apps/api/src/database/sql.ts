import { createHash } from 'node:crypto'
import type { PGlite, Transaction } from '@electric-sql/pglite'
import type pg from 'pg'
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
    transaction: <T>(fn: (sql: Sql) => Promise<T>) => db.transaction((tx) => fn(run(tx))),
  }
}

/** The same statements inside a Prisma interactive transaction (for writes that join one). */
export function prismaSql(tx: Tx): Sql {
  return <T>(text: string, params: unknown[] = []) => tx.$queryRawUnsafe<T[]>(text, ...params)
}
