import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createTestDatabase } from './support/databases.js'
import { ServiceProcess, runToExit } from './support/test-app.js'

const AUTH = { authorization: 'Bearer dev-token', 'content-type': 'application/json' }
/** Concurrent clients creating customers and links while the service is killed. */
const WORKERS = 8
/** Links acknowledged before the kill -9 (the issue saw 141 of 203 lost). */
const TARGET_LINKS = 150

type Acknowledged = { customers: string[]; links: { customerId: string; kycUrl: string }[] }

/**
 * Creates customers and a link for each from WORKERS clients until TARGET_LINKS links are
 * acknowledged, then kill -9s the service with requests still in flight. Returns what the service
 * acknowledged (201) before it died.
 */
async function loadThenKill9(svc: ServiceProcess, prefix: string): Promise<Acknowledged> {
  const acked: Acknowledged = { customers: [], links: [] }
  let killed: Promise<void> | null = null
  let n = 0
  const post = (url: string, body: unknown) =>
    fetch(url, { method: 'POST', headers: AUTH, body: JSON.stringify(body) })
  const worker = async () => {
    while (!killed) {
      const email = `${prefix}-${n++}@example.com`
      try {
        const c = await post(`${svc.url}/v1/customers`, { email, type: 'corporate', companyName: email })
        if (c.status !== 201) throw new Error(`create answered ${c.status}: ${await c.text()}`)
        const { id } = (await c.json()) as { id: string }
        acked.customers.push(id)
        const l = await post(`${svc.url}/v1/customers/${id}/kyc-sessions`, {})
        if (l.status !== 201) throw new Error(`link answered ${l.status}: ${await l.text()}`)
        acked.links.push({ customerId: id, kycUrl: ((await l.json()) as { kycUrl: string }).kycUrl })
      } catch (e) {
        if (killed) return // a request cut short by the kill: never acknowledged
        throw e
      }
      if (acked.links.length >= TARGET_LINKS) killed ??= svc.kill9()
    }
  }
  await Promise.all(Array.from({ length: WORKERS }, worker))
  await killed
  return acked
}

/** After the restart: every acknowledged link opens, every customer syncs, the live link is reused. */
async function expectAllSurvived(svc: ServiceProcess, acked: Acknowledged): Promise<void> {
  expect(acked.links.length).toBeGreaterThanOrEqual(TARGET_LINKS)
  const notOpening: string[] = []
  for (const { kycUrl } of acked.links) {
    const page = await fetch(kycUrl)
    await page.text()
    if (page.status !== 200) notOpening.push(`${page.status} ${kycUrl}`)
  }
  const notSyncing: string[] = []
  for (const id of acked.customers) {
    const res = await fetch(`${svc.url}/v1/customers/${id}/kyc/sync`, {
      method: 'POST',
      headers: { authorization: AUTH.authorization },
    })
    await res.text()
    if (res.status !== 200) notSyncing.push(`${res.status} ${id}`)
  }
  // Counted, with the first few named, so that a failure says how much was lost.
  const summary = (failed: string[], of: number) => ({ failed: failed.length, of, first: failed.slice(0, 3) })
  expect(summary(notOpening, acked.links.length)).toEqual(summary([], acked.links.length))
  expect(summary(notSyncing, acked.customers.length)).toEqual(summary([], acked.customers.length))
  const { customerId, kycUrl } = acked.links[0]!
  const again = await fetch(`${svc.url}/v1/customers/${customerId}/kyc-sessions`, {
    method: 'POST',
    headers: AUTH,
    body: '{}',
  })
  expect(again.status).toBe(200)
  expect(((await again.json()) as { kycUrl: string }).kycUrl).toBe(kycUrl)
}

/** The common part of the local-mode environment (no Align key, the development token). */
const LOCAL = { RATE_LIMIT_PER_MINUTE: '0', RECONCILE_INTERVAL: '0' }

describe('local mode: the built-in emulator across kill -9 (e2e)', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'align-kyc-local-crash-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  describe('on the embedded database (PGlite)', () => {
    let dataDir: string
    let stateFile: string
    let env: Record<string, string>
    let svc: ServiceProcess | undefined
    beforeAll(() => {
      dataDir = path.join(dir, 'pglite')
      stateFile = `${dataDir}.align-emulator.json` // the default, beside the database
      env = { ...LOCAL, DATABASE_URL: `pglite://${dataDir}` }
    })
    afterEach(async () => {
      await svc?.stop()
      svc = undefined
    })

    it('keeps every link and customer it acknowledged', async () => {
      svc = await ServiceProcess.start(env, { timeoutMs: 60_000 })
      const acked = await loadThenKill9(svc, 'pglite')
      svc = await ServiceProcess.start(env, { timeoutMs: 60_000 })
      await expectAllSurvived(svc, acked)
    }, 180_000)

    it('refuses to start, in one line with the way out, when the emulator state file is gone', async () => {
      await rename(stateFile, `${stateFile}.moved`)
      const { code, output } = await runToExit({ ...env, NODE_ENV: 'test', PORT: '0' }, 60_000)
      const lines = output.trim().split('\n')
      const refusal = lines.filter((l) => l.includes(stateFile))
      expect({ code, refusal }).toEqual({ code: 78, refusal: [expect.stringMatching(/missing/)] })
      expect(refusal[0]).toMatch(/ALIGN_EMULATOR_STATE_FILE=none/)
      expect(refusal[0]).toContain(dataDir) // delete it to start from scratch
      expect(output).not.toMatch(/^\s+at /m) // no stack trace
    })

    it('refuses a state file that holds none of the customers, and starts with ALIGN_EMULATOR_STATE_FILE=none', async () => {
      await writeFile(
        stateFile,
        JSON.stringify({ version: 1, port: null, customers: [], links: [], webhooks: [] }),
      )
      const { code, output } = await runToExit({ ...env, NODE_ENV: 'test', PORT: '0' }, 60_000)
      expect(code).toBe(78)
      expect(output.split('\n').filter((l) => l.includes(stateFile))).toHaveLength(1)
      svc = await ServiceProcess.start({ ...env, ALIGN_EMULATOR_STATE_FILE: 'none' }, { timeoutMs: 60_000 })
      expect((await fetch(`${svc.url}/health/ready`)).status).toBe(200)
    })

    it('starts again once the state file is restored', async () => {
      await rename(`${stateFile}.moved`, stateFile)
      svc = await ServiceProcess.start(env, { timeoutMs: 60_000 })
      expect((await fetch(`${svc.url}/health/ready`)).status).toBe(200)
    })
  })

  describe('on PostgreSQL (ALIGN_ENVIRONMENT=local)', () => {
    let db: Awaited<ReturnType<typeof createTestDatabase>>
    let svc: ServiceProcess | undefined
    beforeAll(async () => {
      db = await createTestDatabase()
    })
    afterAll(async () => {
      await svc?.stop()
      await db?.drop()
    })

    it('keeps every link and customer it acknowledged', async () => {
      const env = {
        ...LOCAL,
        DATABASE_URL: db.url,
        ALIGN_ENVIRONMENT: 'local',
        ALIGN_EMULATOR_STATE_FILE: path.join(dir, 'postgres.align-emulator.json'),
      }
      svc = await ServiceProcess.start(env)
      const acked = await loadThenKill9(svc, 'postgres')
      svc = await ServiceProcess.start(env)
      await expectAllSurvived(svc, acked)
    }, 180_000)
  })
})
