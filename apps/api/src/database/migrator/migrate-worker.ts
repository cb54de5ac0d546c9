import { parentPort, workerData } from 'node:worker_threads'
import { Migrator } from './migrator.js'

/** What the main thread asks the migration worker (isolated.ts) to do, and what it answers. */
export type MigrateRequest = { kind: 'postgres'; url: string }
export type MigrateResult = { ok: true; applied: string[] } | { ok: false; error: string }

const request = workerData as MigrateRequest
const answer = (r: MigrateResult) => parentPort!.postMessage(r)
try {
  answer({ ok: true, applied: await new Migrator().deploy(request) })
} catch (e) {
  answer({ ok: false, error: e instanceof Error ? e.message : String(e) })
}
