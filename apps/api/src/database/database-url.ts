import path from 'node:path'

/** Which database the service talks to, decided from DATABASE_URL (see the configuration table). */
export type DatabaseTarget =
  { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string | null /* null = in memory */ }

/** The embedded database's folder when DATABASE_URL is unset, relative to the working directory. */
export const DEFAULT_PGLITE_DIR = '.data/pglite'

/**
 * Parses DATABASE_URL: unset -> embedded PGlite in `.data/pglite`; `pglite://memory` -> in memory;
 * `pglite://<dir>` -> embedded PGlite in <dir>; `postgres(ql)://...` -> a PostgreSQL server.
 * Throws with a message naming what is expected for anything else.
 */
export function parseDatabaseUrl(value: string | undefined, cwd = process.cwd()): DatabaseTarget {
  if (value === undefined || value.trim() === '')
    return { kind: 'pglite', dataDir: path.resolve(cwd, DEFAULT_PGLITE_DIR) }
  const v = value.trim()
  if (v.startsWith('pglite://')) {
    const rest = v.slice('pglite://'.length)
    if (rest === '') throw new Error('expected pglite://memory or pglite://<directory>')
    if (rest === 'memory') return { kind: 'pglite', dataDir: null }
    return { kind: 'pglite', dataDir: path.resolve(cwd, rest) }
  }
  if (/^postgres(ql)?:\/\//.test(v)) {
    try {
      const u = new URL(v)
      if (!u.hostname) throw new Error('no host')
    } catch {
      throw new Error('expected a valid postgresql://user@host:port/database URL')
    }
    return { kind: 'postgres', url: v }
  }
  throw new Error('expected postgresql://..., pglite://<directory> or pglite://memory')
}
