import { mkdir } from 'node:fs/promises'
import { Global, Logger, Module } from '@nestjs/common'
import { PGlite } from '@electric-sql/pglite'
import { PrismaPg } from '@prisma/adapter-pg'
import { PrismaPGlite } from 'pglite-prisma-adapter'
import pg from 'pg'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import { deployIsolated, openPgliteMigrated } from './migrator/isolated.js'
import { Migrator } from './migrator/migrator.js'
import { PrismaService } from './prisma.service.js'
import { pgDatabase, pgliteDatabase } from './sql.js'

const logger = new Logger('Database')

/** Opens the configured database, applies pending migrations (unless MIGRATE_ON_START=false). */
export async function openDatabase(config: AppConfig): Promise<PrismaService> {
  const started = Date.now()
  const target = config.database
  let prisma: PrismaService
  if (target.kind === 'postgres') {
    if (config.migrateOnStart) {
      const applied = await deployIsolated(target.url)
      if (applied.length) logger.log(`applied migrations: ${applied.join(', ')}`)
    }
    // One pool for Prisma and for the plain-SQL hot paths. A request waits at most the Align timeout
    // plus a margin for a connection (link renewals hold one while Align answers).
    const pool = new pg.Pool({
      connectionString: target.url,
      max: 20,
      connectionTimeoutMillis: config.align.timeoutMs + 10_000,
    })
    prisma = new PrismaService(new PrismaPg(pool), null, 'postgres', pgDatabase(pool))
  } else {
    if (target.dataDir) await mkdir(target.dataDir, { recursive: true })
    let pglite: PGlite
    if (config.migrateOnStart && target.dataDir) {
      const opened = await openPgliteMigrated(target.dataDir)
      pglite = opened.db
      if (opened.applied.length) logger.log(`applied migrations: ${opened.applied.join(', ')}`)
    } else {
      // In memory there is nothing a worker could hand over: migrated here (throw-away databases).
      pglite = await PGlite.create(target.dataDir ?? undefined)
      if (config.migrateOnStart) {
        const applied = await new Migrator().deploy({ kind: 'pglite', db: pglite })
        if (applied.length) logger.log(`applied migrations: ${applied.join(', ')}`)
      }
    }
    prisma = new PrismaService(new PrismaPGlite(pglite), pglite, 'pglite', pgliteDatabase(pglite))
  }
  await prisma.$connect()
  logger.log(
    `database ready (${target.kind === 'postgres' ? 'PostgreSQL' : target.dataDir ? `PGlite at ${target.dataDir}` : 'in-memory PGlite'}) in ${Date.now() - started} ms`,
  )
  return prisma
}

@Global()
@Module({
  providers: [
    { provide: PrismaService, inject: [APP_CONFIG], useFactory: (config: AppConfig) => openDatabase(config) },
  ],
  exports: [PrismaService],
})
export class DatabaseModule {}
