import { parentPort, workerData } from 'node:worker_threads'
import { PGlite } from '@electric-sql/pglite'
import { Migrator } from './migrator.js'

/** What the main thread asks the migration worker (isolated.ts) to do, and what it answers. */
export type MigrateRequest = { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string }
export type MigrateResult = { ok: true; applied: string[] } | { ok: false; error: string }

const request = workerData as MigrateRequest
const answer = (r: MigrateResult) => parentPort!.postMessage(r)
async function deploy(): Promise<string[]> {
  if (request.kind === 'postgres') return new Migrator().deploy(request)
  // The embedded database is opened here, on its folder, while the main thread has it closed.
  const db = await PGlite.create(request.dataDir)
  try {
    return await new Migrator().deploy({ kind: 'pglite', db })
  } finally {
    await db.close()
  }
}

try {
  answer({ ok: true, applied: await deploy() })
} catch (e) {
  answer({ ok: false, error: e instanceof Error ? e.message : String(e) })
}
