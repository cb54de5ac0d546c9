/**
 * Which database failures are an outage rather than a bug, decided in one place for every path
 * (pg, Prisma and its driver adapters, PGlite): such a failure is answered `503
 * database_unavailable` with Retry-After, and the background loops wait for the next round.
 *
 * - `unreachable`: the server cannot be reached or dropped the connection: socket errors
 *   (ECONNREFUSED, ECONNRESET, ...), SQLSTATE class 08 (connection exception), 57P01-57P03 (admin /
 *   crash shutdown, cannot connect now), 53300 (too many connections), pg's own "Connection
 *   terminated" and pool checkout timeouts, and Prisma's P1001/P1002/P1008/P1017/P2024/P2037.
 * - `disk_full`: 53100, the server could not extend a file (nothing of the statement was written).
 * - `resources`: the rest of class 53 (out of memory, a configured limit exceeded).
 */
export type DatabaseFault = {
  kind: 'unreachable' | 'disk_full' | 'resources'
  /** Short and free of data: a code and pg's message kind, e.g. `57P01` or `ECONNREFUSED`. */
  reason: string
}

const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
])

const PRISMA_CODES: Record<string, DatabaseFault['kind']> = {
  P1001: 'unreachable', // can't reach database server
  P1002: 'unreachable', // server reached but timed out
  P1008: 'unreachable', // socket timeout
  P1017: 'unreachable', // server closed the connection
  P2024: 'unreachable', // timed out fetching a connection from the pool
  P2037: 'unreachable', // too many database connections
}

/** Driver-adapter error kinds (`@prisma/driver-adapter-utils`) that mean the same. */
const ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
])

/** pg and pg-pool say these without a code. */
const PG_MESSAGES =
  /^(Connection terminated( unexpectedly| due to connection timeout)?|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)$/

function fromSqlState(code: string): DatabaseFault | null {
  if (code === '53100') return { kind: 'disk_full', reason: code }
  if (code === '53300') return { kind: 'unreachable', reason: code }
  if (code.startsWith('53')) return { kind: 'resources', reason: code }
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03')
    return { kind: 'unreachable', reason: code }
  return null
}

function fromOne(e: Record<string, unknown>): DatabaseFault | null {
  const code = typeof e.code === 'string' ? e.code : undefined
  if (code) {
    if (/^[0-9A-Z]{5}$/.test(code)) {
      const f = fromSqlState(code)
      if (f) return f
    }
    if (SOCKET_CODES.has(code)) return { kind: 'unreachable', reason: code }
    const prisma = PRISMA_CODES[code]
    if (prisma) return { kind: prisma, reason: code }
  }
  // A driver-adapter error's cause: {kind, originalCode?}.
  if (typeof e.kind === 'string') {
    if (typeof e.originalCode === 'string') {
      const f = fromSqlState(e.originalCode)
      if (f) return f
    }
    if (ADAPTER_KINDS.has(e.kind)) return { kind: 'unreachable', reason: e.kind }
  }
  if (typeof e.message === 'string' && PG_MESSAGES.test(e.message))
    return { kind: 'unreachable', reason: e.message }
  return null
}

/**
 * Classifies `err` and what it wraps (`cause`, Prisma's `meta.driverAdapterError`, an
 * AggregateError's `errors`); null when it is not a database outage (a bug, a constraint, ...).
 */
export function databaseFault(err: unknown): DatabaseFault | null {
  const seen = new Set<unknown>()
  const queue: unknown[] = [err]
  while (queue.length) {
    const e = queue.shift()
    if (e === null || typeof e !== 'object' || seen.has(e)) continue
    seen.add(e)
    const o = e as Record<string, unknown>
    const f = fromOne(o)
    if (f) return f
    queue.push(o.cause)
    const meta = o.meta as Record<string, unknown> | undefined
    if (meta && typeof meta === 'object') queue.push(meta.driverAdapterError)
    if (Array.isArray(o.errors)) queue.push(...(o.errors as unknown[]))
  }
  return null
}
