import { Global, Logger, Module } from '@nestjs/common'
import { PGlite } from '@electric-sql/pglite'
import { PrismaPg } from '@prisma/adapter-pg'
import { PrismaPGlite } from 'pglite-prisma-adapter'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import { DatabaseHealth } from './database-health.js'
import { lockDataDir } from './data-dir-lock.js'
import { deployIsolated, openPgliteMigrated } from './migrator/isolated.js'
import { Migrator } from './migrator/migrator.js'
import { createPgPool } from './pg-connections.js'
import { checkPostgres, ensureWritableDir, pgliteOpenError } from './preflight.js'
import { PrismaService } from './prisma.service.js'
import { pgDatabase, pgliteDatabase } from './sql.js'

const logger = new Logger('Database')

/**
 * Opens the configured database, applies pending migrations (unless MIGRATE_ON_START=false). The
 * environment's usual faults (server unreachable, no such database, a data directory that cannot be
 * written or that another process holds) throw a one-line StartupError.
 */
export async function openDatabase(config: AppConfig): Promise<PrismaService> {
  const started = Date.now()
  const target = config.database
  let prisma: PrismaService
  if (target.kind === 'postgres') {
    await checkPostgres(target.url)
    if (config.migrateOnStart) logApplied(await deployIsolated(target.url))
    // One pool for Prisma and for the plain-SQL hot paths. Connections are held only for short
    // transactions (never across an Align call), so a request that waits 5 s for one has met an
    // overloaded or unreachable database and is answered 503 database_unavailable.
    const pool = createPgPool({
      connectionString: target.url,
      max: 20,
      connectionTimeoutMillis: 5_000,
    })
    prisma = new PrismaService(new PrismaPg(pool), null, pgDatabase(pool))
  } else {
    const pglite = await openPGlite(target.dataDir, config.migrateOnStart)
    prisma = new PrismaService(new PrismaPGlite(pglite), pglite, pgliteDatabase(pglite))
  }
  await prisma.$connect()
  logger.log(
    `database ready (${target.kind === 'postgres' ? 'PostgreSQL' : target.dataDir ? `PGlite at ${target.dataDir}` : 'in-memory PGlite'}) in ${Date.now() - started} ms`,
  )
  return prisma
}

/** PGlite on `dataDir` (null: in memory), once this process holds the directory (lockDataDir). */
async function openPGlite(dataDir: string | null, migrate: boolean): Promise<PGlite> {
  if (!dataDir) {
    // In memory there is nothing a worker could hand over: migrated here (throw-away databases).
    const db = await PGlite.create()
    if (migrate) logApplied(await new Migrator().deploy({ kind: 'pglite', db }))
    return db
  }
  await ensureWritableDir(dataDir)
  // Held until the process exits (the database is closed by then); a crash leaves a stale entry
  // that the next start removes. Taken before the migration worker opens the folder.
  const lock = await lockDataDir(dataDir)
  try {
    if (!migrate) return await PGlite.create(dataDir)
    const opened = await openPgliteMigrated(dataDir)
    logApplied(opened.applied)
    return opened.db
  } catch (e) {
    lock.release()
    throw pgliteOpenError(dataDir, e)
  }
}

function logApplied(applied: string[]): void {
  if (applied.length) logger.log(`applied migrations: ${applied.join(', ')}`)
}

@Global()
@Module({
  providers: [
    { provide: PrismaService, inject: [APP_CONFIG], useFactory: (config: AppConfig) => openDatabase(config) },
    DatabaseHealth,
  ],
  exports: [PrismaService, DatabaseHealth],
})
export class DatabaseModule {}
