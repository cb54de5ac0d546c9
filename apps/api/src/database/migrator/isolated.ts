import { existsSync } from 'node:fs'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import { PGlite } from '@electric-sql/pglite'
import { Migrator } from './migrator.js'
import type { MigrateRequest, MigrateResult } from './migrate-worker.js'

/*
 * Start-up migrations out of the main thread. Prisma's wasm schema engine cannot be unloaded once a
 * thread has loaded it (the compiled module, its linear memory and the bindings' module graph stay
 * referenced), so run in the service's own thread it stayed resident for the life of the process.
 * A worker thread's isolate, and that memory with it, is torn down when the worker exits. The usual
 * restart on an up-to-date database asks one query here and starts no worker at all.
 */

/** Applies pending migrations to a PostgreSQL database in a worker thread that then exits. */
export async function deployIsolated(url: string, migrator = new Migrator()): Promise<string[]> {
  if (await migrator.isUpToDate({ kind: 'postgres', url })) return []
  return runMigrateWorker({ kind: 'postgres', url })
}

/**
 * Opens the embedded database on `dataDir`, migrated. A new folder is created and migrated by the
 * worker (PGlite's initdb grows its wasm memory, which never shrinks, well beyond what a restart
 * needs); an existing one is opened here and, only if migrations are pending, closed, migrated by
 * the worker and opened again.
 */
export async function openPgliteMigrated(
  dataDir: string,
  migrator = new Migrator(),
): Promise<{ db: PGlite; applied: string[] }> {
  let applied: string[] = []
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    applied = await runMigrateWorker({ kind: 'pglite', dataDir })
    return { db: await PGlite.create(dataDir), applied }
  }
  const db = await PGlite.create(dataDir)
  if (await migrator.isUpToDate({ kind: 'pglite', db })) return { db, applied }
  await db.close()
  applied = await runMigrateWorker({ kind: 'pglite', dataDir })
  return { db: await PGlite.create(dataDir), applied }
}

function runMigrateWorker(request: MigrateRequest): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./migrate-worker.js', import.meta.url), { workerData: request })
    let result: MigrateResult | undefined
    worker.once('message', (m: MigrateResult) => (result = m))
    worker.once('error', reject)
    worker.once('exit', (code) => {
      if (result?.ok) resolve(result.applied)
      // The worker's own message, so the start-up failure stays the one line it was in-process.
      else reject(new Error(result?.error ?? `the migration worker exited with code ${code}`))
    })
  })
}
