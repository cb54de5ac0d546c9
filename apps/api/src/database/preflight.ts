import { constants } from 'node:fs'
import { access, mkdir, stat } from 'node:fs/promises'
import path from 'node:path'
import pg from 'pg'
import { StartupError } from '../common/startup-error.js'

/*
 * Checks made before a database is opened, so that the environment's usual faults stop the start-up
 * with one line (a StartupError: the cause, the path or host, what to do) instead of a driver's dump.
 */

const FS_CAUSES: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a parent is not a directory',
  ENOSPC: 'no space left on device',
}

/** Creates the embedded database's folder if need be and checks that it can be written. */
export async function ensureWritableDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true })
    await access(dir, constants.W_OK) // access(2) sees a read-only mount and chattr +i, even for root
  } catch (e) {
    const code = await fsErrorCode(dir, e)
    throw new StartupError(
      `The embedded database ${dir} cannot be written (${FS_CAUSES[code] ?? code}): ` +
        'make it writable, or set DATABASE_URL=pglite://<a writable directory>',
    )
  }
}

async function fsErrorCode(dir: string, e: unknown): Promise<string> {
  const code = (e as NodeJS.ErrnoException).code ?? String(e)
  if (code !== 'ENOENT') return code
  // A recursive mkdir reports ENOENT for a parent it could not create: ask the nearest existing one.
  for (let p = path.dirname(dir); p !== path.dirname(p); p = path.dirname(p)) {
    const s = await stat(p).catch(() => null)
    if (!s) continue
    if (!s.isDirectory()) return 'ENOTDIR'
    return access(p, constants.W_OK).then(
      () => code,
      (x: NodeJS.ErrnoException) => x.code ?? code,
    )
  }
  return code
}

/** Emscripten's errno numbers, as PGlite's file system reports them (it throws `{ errno }` objects). */
const PGLITE_ERRNO: Record<number, string> = {
  2: 'EACCES',
  44: 'ENOENT',
  51: 'ENOSPC',
  54: 'ENOTDIR',
  63: 'EPERM',
  69: 'EROFS',
}

/** One line for an error PGlite threw while opening `dir`. */
export function pgliteOpenError(dir: string, e: unknown): StartupError {
  const errno = (e as { errno?: unknown }).errno
  const code = typeof errno === 'number' ? PGLITE_ERRNO[errno] : undefined
  const cause = code ? (FS_CAUSES[code] ?? code) : e instanceof Error ? e.message : String(e)
  return new StartupError(
    `The embedded database ${dir} could not be opened (${cause}): check that the directory is ` +
      'writable and holds a database made by this version, or set DATABASE_URL=pglite://<another directory>',
  )
}

const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
}

/**
 * Connects once to the PostgreSQL server in `url` and closes the connection, or throws a
 * StartupError naming the host (or database, or user) and the cause. Never prints the password.
 */
export async function checkPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 })
  client.on('error', () => {}) // the connection is only opened and closed; nothing to recover
  try {
    await client.connect()
  } catch (e) {
    throw postgresStartupError(url, e)
  } finally {
    await client.end().catch(() => {})
  }
}

function postgresStartupError(url: string, e: unknown): StartupError {
  const u = new URL(url)
  const where = `${u.hostname}:${u.port || 5432}`
  const user = decodeURIComponent(u.username) || 'the current user'
  const database = decodeURIComponent(u.pathname.slice(1)) || user
  const err = e as { code?: string; message?: string }
  const code = err.code ?? ''
  if (code === '3D000')
    return new StartupError(
      `PostgreSQL at ${where} has no database "${database}": create it (createdb -h ${u.hostname} -p ${u.port || 5432} ${database}) or correct DATABASE_URL`,
    )
  if (code === '28P01' || code === '28000')
    return new StartupError(
      `PostgreSQL at ${where} refused user "${user}" (${err.message ?? code}): correct the credentials in DATABASE_URL`,
    )
  const unreachable = UNREACHABLE[code] ?? (/timeout/i.test(err.message ?? '') ? 'timed out' : null)
  if (unreachable)
    return new StartupError(
      `Cannot reach PostgreSQL at ${where} (${unreachable}${code ? `, ${code}` : ''}): check that it is running and that DATABASE_URL names it`,
    )
  return new StartupError(`PostgreSQL at ${where} could not be used: ${err.message || code || String(e)}`)
}
