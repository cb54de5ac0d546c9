/**
 * `npm run generate -w @align-kyc/api-client`: builds the service, starts it (dist/main.js) on a
 * throw-away in-memory database in local mode (no network, no PostgreSQL), reads /docs-json, and
 * writes openapi.json and src/generated/schema.ts from it.
 *
 * The served document rather than one assembled in-process: it is exactly what consumers fetch, and
 * apps/api's e2e test compares the same thing (api-client.e2e-spec.ts).
 */
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderDocument, renderSchema } from './render-schema.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const PACKAGE = path.resolve(here, '..')
const MAIN = path.resolve(PACKAGE, '../../apps/api/dist/main.js')
const START_TIMEOUT_MS = 90_000

/** Starts the built service and resolves with its URL once it logs that it is listening. */
function startService(): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: 'pglite://memory',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  }
  return new Promise((resolve, reject) => {
    let log = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`the service did not start in ${START_TIMEOUT_MS} ms:\n${log}`))
    }, START_TIMEOUT_MS)
    const onData = (chunk: Buffer) => {
      log += chunk.toString()
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(log)
      if (m) {
        clearTimeout(timer)
        child.stdout!.off('data', onData)
        child.stderr!.off('data', onData)
        resolve({ url: m[1]!, stop })
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    void exited.then(() => {
      clearTimeout(timer)
      reject(new Error(`the service exited before listening (is apps/api built?):\n${log}`))
    })
  })
}

const service = await startService()
try {
  const res = await fetch(`${service.url}/docs-json`)
  if (!res.ok) throw new Error(`GET /docs-json answered ${res.status}`)
  const document: unknown = await res.json()
  await writeFile(path.join(PACKAGE, 'openapi.json'), renderDocument(document))
  await writeFile(path.join(PACKAGE, 'src/generated/schema.ts'), await renderSchema(document))
  process.stdout.write('wrote packages/api-client/openapi.json and src/generated/schema.ts\n')
} finally {
  await service.stop()
}
