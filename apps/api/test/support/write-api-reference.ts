/**
 * `npm run docs:api -w @align-kyc/api` (after a build): starts the built service on a throw-away
 * embedded database in local mode, reads /docs-json and rewrites the route table of docs/api.md.
 */
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderRouteTable, withRouteTable } from './api-reference.js'
import { ServiceProcess } from './test-app.js'

const FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../docs/api.md')

const svc = await ServiceProcess.start({ DATABASE_URL: 'pglite://memory' }, { timeoutMs: 60_000 })
try {
  const doc = (await (await fetch(`${svc.url}/docs-json`)).json()) as Parameters<typeof renderRouteTable>[0]
  await writeFile(FILE, withRouteTable(await readFile(FILE, 'utf8'), renderRouteTable(doc)))
  process.stdout.write(`wrote the route table of ${path.relative(process.cwd(), FILE)}\n`)
} finally {
  await svc.stop()
}
