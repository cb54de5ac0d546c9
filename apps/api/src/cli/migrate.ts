#!/usr/bin/env node
/*
 * Offline migrations: `npm run db:migrate` (deploy), `npm run db:migration -- <name>` (create),
 * `npm run db:status`, `npm run db:drift` (exit 1 when schema.prisma and the migrations disagree).
 */
import { PGlite } from '@electric-sql/pglite'
import { StartupError } from '../common/startup-error.js'
import { ConfigError } from '../config/app-config.js'
import { loadEnvFile } from '../config/env-file.js'
import { lockDataDir } from '../database/data-dir-lock.js'
import { parseDatabaseUrl } from '../database/database-url.js'
import { Migrator, type MigrationTarget } from '../database/migrator/migrator.js'
import { checkPostgres } from '../database/preflight.js'

const USAGE = 'usage: migrate deploy | create <name> | status | drift'

async function withTarget<T>(fn: (target: MigrationTarget) => Promise<T>): Promise<T> {
  const target = parseDatabaseUrl(process.env.DATABASE_URL)
  if (target.kind === 'postgres') {
    await checkPostgres(target.url)
    return fn(target)
  }
  // The same lock as the service's: migrating a database a running service holds would corrupt it.
  const lock = target.dataDir ? await lockDataDir(target.dataDir) : null
  try {
    const db = new PGlite(target.dataDir ?? undefined)
    try {
      return await fn({ kind: 'pglite', db })
    } finally {
      await db.close()
    }
  } finally {
    lock?.release()
  }
}

function describe(): string {
  const target = parseDatabaseUrl(process.env.DATABASE_URL)
  if (target.kind === 'pglite')
    return target.dataDir ? `embedded PGlite at ${target.dataDir}` : 'in-memory PGlite'
  const u = new URL(target.url)
  return `PostgreSQL ${u.hostname}:${u.port || 5432}${u.pathname}` // never the password
}

async function main(argv: string[]): Promise<number> {
  // The same `.env` as the service's (its DATABASE_URL above all): otherwise `npm run db:migrate`
  // would migrate the embedded database while the service runs on the one the file names.
  loadEnvFile()
  const [command, name] = argv
  const migrator = new Migrator()
  switch (command) {
    case 'deploy': {
      console.log(`Applying migrations to ${describe()} ...`)
      const applied = await withTarget((t) => migrator.deploy(t))
      console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Already up to date.')
      return 0
    }
    case 'create': {
      if (!name) {
        console.error('usage: npm run db:migration -- <name>')
        return 2
      }
      console.log('Diffing schema.prisma against the migrations (in-memory PGlite) ...')
      const created = await migrator.create(name)
      console.log(
        created
          ? `Created prisma/migrations/${created}/migration.sql`
          : 'No schema changes: nothing created.',
      )
      return 0
    }
    case 'status': {
      console.log(`Migration status of ${describe()}:`)
      console.log(JSON.stringify(await withTarget((t) => migrator.status(t)), null, 2))
      return 0
    }
    case 'drift': {
      const drift = await migrator.drift()
      if (drift === null) {
        console.log('Drift check: prisma/schema.prisma and prisma/migrations agree.')
        return 0
      }
      console.error('Drift check FAILED: prisma/schema.prisma differs from what prisma/migrations produce.')
      console.error('Create a migration with `npm run db:migration -- <name>`. Missing SQL:\n' + drift)
      return 1
    }
    default:
      console.error(USAGE)
      return 2
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`migrate: ${err instanceof Error ? err.message : String(err)}`)
    process.exit(err instanceof StartupError || err instanceof ConfigError ? 78 : 1)
  },
)
