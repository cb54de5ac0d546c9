// The state file's durability contract: nothing is answered (or announced by webhook) before it is
// on disk, a burst of changes shares saves, and a failed save is not acknowledged. The rename that
// publishes each save is wrapped so a test can hold saves back, count them, or make one fail.
import { jest } from '@jest/globals'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import * as fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

let held: Promise<void> | null = null
let failures = 0
const saves: string[] = []
jest.unstable_mockModule('node:fs/promises', () => ({
  ...fs,
  rename: async (from: string, to: string) => {
    saves.push(to)
    if (held) await held
    if (failures > 0) {
      failures--
      throw Object.assign(new Error('ENOSPC: no space left on device, rename'), { code: 'ENOSPC' })
    }
    return fs.rename(from, to)
  },
}))
const { AlignEmulator } = await import('./emulator.js')
const { AlignClient } = await import('../client.js')
const { startServer } = await import('../test-support/http.js')

let releaseHeld = () => undefined as void

/** Holds every save at its rename until the returned function is called (afterEach calls it too). */
function holdSaves(): () => void {
  let release!: () => void
  held = new Promise<void>((resolve) => (release = resolve))
  releaseHeld = () => {
    held = null
    release()
  }
  return releaseHeld
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe('AlignEmulator state file durability', () => {
  let dir: string
  let stateFile: string
  let emulator: InstanceType<typeof AlignEmulator>
  let client: InstanceType<typeof AlignClient>
  const onDisk = async () =>
    JSON.parse(await readFile(stateFile, 'utf8')) as {
      customers: { customer: { customer_id: string } }[]
      links: { token: string }[]
    }

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'align-emulator-state-'))
    stateFile = path.join(dir, 'nested', 'state.json')
    saves.length = 0
    failures = 0
    emulator = new AlignEmulator({ stateFile, webhookRetry: { attempts: 1 } })
    await emulator.start()
    client = new AlignClient({ apiKey: emulator.apiKey, baseUrl: emulator.url, maxRetries: 0 })
  })
  afterEach(async () => {
    releaseHeld()
    await emulator.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('answers a change only once it is on disk, and a burst of changes shares two saves', async () => {
    const release = holdSaves()
    const answered: string[] = []
    const create = (i: number) =>
      client.customers
        .create({ email: `burst${i}@example.com`, type: 'corporate', company_name: 'B' })
        .then((c) => {
          answered.push(c.customer_id)
          return c
        })
    const first = create(0)
    await until('the first save to start', () => saves.length === 1)
    const rest = Array.from({ length: 20 }, (_, i) => create(i + 1))
    await until('every change to be made', () => emulator.snapshot().customers.length === 21)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(answered).toEqual([]) // nothing acknowledged while its save is held back
    release()
    const created = await Promise.all([first, ...rest])
    expect(saves).toEqual([stateFile, stateFile]) // the first change's save, then one for the other 20
    const kept = new Set((await onDisk()).customers.map((c) => c.customer.customer_id))
    expect(created.filter((c) => !kept.has(c.customer_id))).toEqual([])
    expect(await readFile(`${stateFile}.tmp`).catch((e: NodeJS.ErrnoException) => e.code)).toBe('ENOENT')
  })

  it('has every answered link on disk when the answer arrives', async () => {
    const missing: string[] = []
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const c = await client.customers.create({
          email: `l${i}@example.com`,
          type: 'corporate',
          company_name: 'L',
        })
        const link = (await client.customers.createKycSession(c.customer_id)).kycs.kyc_flow_link
        const token = link.split('/').pop()!
        if (!(await onDisk()).links.some((l) => l.token === token)) missing.push(token)
      }),
    )
    expect(missing).toEqual([])
  })

  it('answers 503 state_not_saved when the save fails, and saves again afterwards', async () => {
    failures = 1
    const warnings: string[] = []
    await emulator.stop()
    emulator = new AlignEmulator({
      stateFile,
      logger: { info: () => undefined, warn: (m) => warnings.push(m) },
    })
    await emulator.start()
    const post = (email: string) =>
      fetch(`${emulator.url}/v0/customers`, {
        method: 'POST',
        headers: { authorization: emulator.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ email, type: 'corporate', company_name: 'F' }),
      })
    const failed = await post('full@example.com')
    expect(failed.status).toBe(503)
    expect(await failed.json()).toEqual({ message: expect.any(String), code: 'state_not_saved' })
    expect(warnings).toContain('emulator state not saved')
    expect((await post('later@example.com')).status).toBe(200)
    expect((await onDisk()).customers).toHaveLength(2) // the next save carries the earlier change too
  })

  it('sends a webhook only once the change it announces is on disk', async () => {
    const receiver = await startServer()
    try {
      await client.webhooks.create({ url: `${receiver.url}/hook` })
      const c = await client.customers.create({
        email: 'hook@example.com',
        type: 'corporate',
        company_name: 'H',
      })
      const link = (await client.customers.createKycSession(c.customer_id)).kycs.kyc_flow_link
      const release = holdSaves()
      const started = fetch(`${link}/start`, { method: 'POST', redirect: 'manual' })
      await until(
        'the change to be made',
        () => emulator.getCustomer(c.customer_id)?.kycs?.status === 'pending',
      )
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(receiver.requests).toHaveLength(0)
      release()
      expect((await started).status).toBe(303)
      await receiver.waitFor(1)
      const kept = (await onDisk()).customers.find((r) => r.customer.customer_id === c.customer_id)
      expect(kept).toMatchObject({ customer: { kycs: { status: 'pending' } } })
    } finally {
      await receiver.close()
    }
  })

  it('sends virtual_account.created only once the account is on disk', async () => {
    const receiver = await startServer()
    try {
      await client.webhooks.create({ url: `${receiver.url}/hook` })
      const c = await client.customers.create({
        email: 'va@example.com',
        type: 'corporate',
        company_name: 'V',
      })
      await client.customers.simulateCustomer({ customer_id: c.customer_id, action: 'kyc.status.approve' })
      await emulator.webhooksSettled()
      receiver.requests.length = 0
      const release = holdSaves()
      const created = client.virtualAccounts.create(c.customer_id, {
        source_currency: 'eur',
        destination_token: 'usdc',
        destination_network: 'base',
        destination_address: '0x742d35Cc6634C0532925a3b844Bc9e7595f0aB42',
      })
      await until('the account to be made', () => emulator.virtualAccounts(c.customer_id).length === 1)
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(receiver.requests).toHaveLength(0)
      release()
      const account = await created
      const [delivery] = await receiver.waitFor(1)
      expect(JSON.parse(delivery!.body)).toMatchObject({
        event_type: 'virtual_account.created',
        entity_id: account.id,
      })
      const kept = JSON.parse(await readFile(stateFile, 'utf8')) as {
        virtualAccounts: { account: { id: string } }[]
      }
      expect(kept.virtualAccounts.map((v) => v.account.id)).toEqual([account.id])
    } finally {
      await receiver.close()
    }
  })

  it('saves changes made through in-process methods, and stop() waits for them', async () => {
    const c = await client.customers.create({
      email: 'inproc@example.com',
      type: 'corporate',
      company_name: 'I',
    })
    await client.customers.createKycSession(c.customer_id)
    emulator.setKycState(c.customer_id, { status: 'pending', sub_status: 'kyc_form_submission_started' })
    emulator.expireLinks(c.customer_id)
    await emulator.stop()
    const state = await onDisk()
    expect(state.customers[0]).toMatchObject({ customer: { kycs: { status: 'pending' } } })
    expect((state.links[0] as unknown as { expiresAt: number }).expiresAt).toBeLessThanOrEqual(Date.now())
    emulator.reset()
    await emulator.stop()
    expect((await onDisk()).customers).toEqual([])
  })
})
