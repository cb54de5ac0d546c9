import { Logger } from '@nestjs/common'
import pg from 'pg'

const logger = new Logger('Database')

/**
 * A pg client emits 'error' when its connection drops (a terminated backend, a reset, a server
 * restart), even while a query of it is failing with the same error; an EventEmitter 'error' with
 * no listener throws, and the process dies. pg-pool listens only while a client is idle; a client
 * checked out by Prisma's adapter, by `pool.query` or by our own transactions (sql.ts) is covered
 * only by whoever checked it out. So every connection gets a listener of its own for its whole life:
 * it logs the loss once, and pg itself marks the client unusable (pg-pool then discards it on
 * release instead of handing it out again), so the next checkout opens a fresh connection.
 */
export function guardClient(client: pg.ClientBase): void {
  let reported = false
  client.on('error', (err: Error) => {
    if (reported) return // pg reports a drop twice: the server's FATAL, then the closed socket
    reported = true
    logger.warn(`a database connection was lost (${describe(err)}); it is replaced on next use`)
  })
}

/** Guards every connection `pool` opens (see guardClient), and the pool's own idle-client errors. */
export function guardPool(pool: pg.Pool): pg.Pool {
  pool.on('connect', (client) => guardClient(client))
  // pg-pool re-emits an idle client's error on the pool after discarding the client; guardClient
  // has logged it already.
  pool.on('error', () => undefined)
  return pool
}

/** A pg pool with every connection guarded. */
export function createPgPool(config: pg.PoolConfig): pg.Pool {
  return guardPool(new pg.Pool(config))
}

function describe(err: Error): string {
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' ? `${code}: ${err.message}` : err.message
}
