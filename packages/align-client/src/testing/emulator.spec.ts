import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { AlignClient } from '../client.js'
import { parseWebhookEvent, verifyWebhookSignature } from '../webhooks.js'
import { startServer, type TestServer } from '../test-support/http.js'
import { AlignEmulator } from './emulator.js'

const person = (email: string) => ({ email, type: 'individual', first_name: 'K', last_name: 'Y' }) as const

describe('AlignEmulator API surface', () => {
  let emulator: AlignEmulator
  beforeAll(async () => {
    emulator = new AlignEmulator()
    await emulator.start()
  })
  afterAll(() => emulator.stop())
  beforeEach(() => emulator.reset())

  it('requires the raw API key in Authorization', async () => {
    const noKey = await fetch(`${emulator.url}/v0/customers`)
    expect(noKey.status).toBe(401)
    expect(await noKey.json()).toEqual({ message: expect.any(String), code: 'unauthorized' })
    const bearer = await fetch(`${emulator.url}/v0/customers`, {
      headers: { authorization: `Bearer ${emulator.apiKey}` },
    })
    expect(bearer.status).toBe(401)
    const raw = await fetch(`${emulator.url}/v0/customers`, { headers: { authorization: emulator.apiKey } })
    expect(raw.status).toBe(200)
    expect(await raw.json()).toEqual({ items: [] })
  })

  it('validates bodies like Align, with {message, code}', async () => {
    const post = (body: string) =>
      fetch(`${emulator.url}/v0/customers`, {
        method: 'POST',
        headers: { authorization: emulator.apiKey, 'content-type': 'application/json' },
        body,
      })
    const missing = await post(JSON.stringify({ email: 'x@y.co', type: 'individual', first_name: 'X' }))
    expect(missing.status).toBe(400)
    expect(await missing.json()).toMatchObject({
      code: 'validation_error',
      message: expect.stringContaining('last_name'),
    })
    expect((await post('{nope')).status).toBe(400)
    expect((await fetch(`${emulator.url}/v0/nothing`)).status).toBe(404)
  })

  it("answers webhook and customer-update calls with Align's documented bodies", async () => {
    const call = async (method: string, route: string, body?: unknown) => {
      const res = await fetch(`${emulator.url}${route}`, {
        method,
        headers: { authorization: emulator.apiKey, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      return { status: res.status, text: await res.text() }
    }
    const created = await call('POST', '/v0/webhooks', { url: 'https://example.com/hook' })
    const webhook = JSON.parse(created.text) as { id: string }
    expect(webhook).toEqual({
      id: expect.any(String),
      url: 'https://example.com/hook',
      status: 'active',
      created_at: expect.any(String),
    })
    expect(JSON.parse((await call('GET', '/v0/webhooks')).text)).toEqual({ items: [webhook] })
    expect(await call('DELETE', `/v0/webhooks/${webhook.id}`)).toEqual({ status: 204, text: '' })
    const again = await call('DELETE', `/v0/webhooks/${webhook.id}`)
    expect(again.status).toBe(404)
    expect(JSON.parse(again.text)).toEqual({ message: expect.any(String), code: 'not_found' })

    const customer = JSON.parse((await call('POST', '/v0/customers', person('put@example.com'))).text) as {
      customer_id: string
    }
    const put = await call('PUT', `/v0/customers/${customer.customer_id}`, {
      documents: [{ file_id: 'f1', purpose: 'id_document' }],
    })
    expect(put).toEqual({ status: 200, text: '{}' })
  })

  it('reads webhook registrations saved without a status as active', async () => {
    const local = new AlignEmulator()
    local.restore({
      version: 1,
      port: null,
      customers: [],
      links: [],
      webhooks: [{ id: 'w1', url: 'https://example.com/old' } as never],
    })
    expect(local.snapshot().webhooks).toEqual([
      { id: 'w1', url: 'https://example.com/old', status: 'active' },
    ])
  })

  it('rejects faults and latency on unknown routes', () => {
    expect(() => emulator.injectFault({ route: 'GET /v0/customer/:id', kind: 'reset' })).toThrow(
      /Unknown route/,
    )
    expect(() => emulator.setLatency(10, 'GET /nope')).toThrow(/Unknown route/)
    expect(emulator.routes).toContain('POST /v0/customers/:id/kycs')
  })

  it('adds latency per route', async () => {
    const client = new AlignClient({ apiKey: emulator.apiKey, baseUrl: emulator.url })
    emulator.setLatency(120, 'GET /v0/webhooks')
    const started = performance.now()
    await client.webhooks.list()
    expect(performance.now() - started).toBeGreaterThanOrEqual(115)
    const quick = performance.now()
    await client.customers.list()
    expect(performance.now() - quick).toBeLessThan(100)
  })

  it('answers a fault only for the given number of calls', async () => {
    const client = new AlignClient({ apiKey: emulator.apiKey, baseUrl: emulator.url, maxRetries: 0 })
    emulator.injectFault({ route: 'GET /v0/webhooks', kind: '5xx', status: 502, times: 2 })
    await expect(client.webhooks.list()).rejects.toMatchObject({ status: 502 })
    await expect(client.webhooks.list()).rejects.toMatchObject({ status: 502 })
    await expect(client.webhooks.list()).resolves.toEqual({ items: [] })
    expect(emulator.calls()).toEqual({ 'GET /v0/webhooks': 3 })
    emulator.resetCalls()
    expect(emulator.calls()).toEqual({})
  })

  it('stop() closes hung connections', async () => {
    const local = new AlignEmulator()
    const { url } = await local.start()
    local.injectFault({ route: 'GET /v0/webhooks', kind: 'timeout' })
    const hung = fetch(`${url}/v0/webhooks`, { headers: { authorization: local.apiKey } })
    await new Promise((r) => setTimeout(r, 50))
    await local.stop()
    await expect(hung).rejects.toThrow()
  })
})

describe('hosted KYC flow and webhooks', () => {
  let emulator: AlignEmulator
  let receiver: TestServer
  let client: AlignClient
  let receiverStatus: (index: number) => number

  beforeEach(async () => {
    receiverStatus = () => 200
    receiver = await startServer((_req, index) => ({ status: receiverStatus(index) }))
    emulator = new AlignEmulator({
      apiKey: 'flow-key',
      linkTtlMs: 60_000,
      webhookRetry: { attempts: 3, baseDelayMs: 10 },
    })
    await emulator.start()
    client = new AlignClient({ apiKey: 'flow-key', baseUrl: emulator.url })
    await client.webhooks.create({ url: `${receiver.url}/align` })
  })
  afterEach(async () => {
    await emulator.stop()
    await receiver.close()
  })

  it('moves the customer through start -> approve and delivers signed customer.kycs.updated webhooks', async () => {
    const { customer_id } = await client.customers.create(person('flow@example.com'))
    const link = (await client.customers.createKycSession(customer_id)).kycs.kyc_flow_link

    const page = await fetch(link)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('flow@example.com')
    expect(html).toContain('Start verification')
    expect(html).not.toContain('Approve')

    const started = await fetch(`${link}/start`, { method: 'POST' })
    expect(started.status).toBe(200) // followed the 303 back to the page
    expect(await started.text()).toContain('kyc_form_submission_started')
    expect((await client.customers.get(customer_id)).kycs).toMatchObject({
      status: 'pending',
      sub_status: 'kyc_form_submission_started',
    })

    expect((await fetch(`${link}/submit`, { method: 'POST' })).status).toBe(200)
    expect((await fetch(`${link}/approve`, { method: 'POST' })).status).toBe(200)
    const customer = await client.customers.get(customer_id)
    expect(customer.kycs).toMatchObject({
      status: 'approved',
      sub_status: 'kyc_form_submission_accepted',
      kyc_flow_link: link,
    })
    expect(customer.kycs?.status_breakdown?.every((entry) => entry.status === 'approved')).toBe(true)

    const requests = await receiver.waitFor(3)
    for (const request of requests) {
      expect(request.url).toBe('/align')
      expect(
        verifyWebhookSignature(request.body, String(request.headers['x-hmac-signature']), 'flow-key'),
      ).toBe(true)
      const event = parseWebhookEvent(request.body)
      expect(event).toMatchObject({
        event_type: 'customer.kycs.updated',
        entity_type: 'customer',
        entity_id: customer_id,
      })
      expect(Math.abs(Date.parse(event.created_at) - Date.now())).toBeLessThan(5_000)
    }
  })

  it('request resubmission rejects with kyc_form_resubmission_required; invalid actions are refused', async () => {
    const { customer_id } = await client.customers.create(person('resubmit@example.com'))
    const link = (await client.customers.createKycSession(customer_id)).kycs.kyc_flow_link
    expect((await fetch(`${link}/approve`, { method: 'POST' })).status).toBe(409) // not started yet
    await fetch(`${link}/start`, { method: 'POST' })
    await fetch(`${link}/resubmit`, { method: 'POST' })
    expect((await client.customers.get(customer_id)).kycs).toMatchObject({
      status: 'rejected',
      sub_status: 'kyc_form_resubmission_required',
    })
    expect((await fetch(`${link}/start`, { method: 'POST' })).status).toBe(200) // a rejected customer may start again
    expect((await fetch(`${link}/dance`, { method: 'POST' })).status).toBe(404)
  })

  it('retries failed deliveries with backoff, bounded by attempts', async () => {
    receiverStatus = (index) => (index === 0 ? 500 : 200)
    const { customer_id } = await client.customers.create(person('retry@example.com'))
    await client.customers.simulateCustomer({ customer_id, action: 'kyc.status.approve' })
    await emulator.webhooksSettled()
    expect(emulator.webhookDeliveries().map((d) => [d.status, d.attempt])).toEqual([
      [500, 1],
      [200, 2],
    ])

    receiverStatus = () => 503
    emulator.setKycState(
      customer_id,
      { status: 'rejected', sub_status: 'kyc_form_resubmission_required' },
      { deliverWebhook: true },
    )
    await emulator.webhooksSettled()
    expect(
      emulator
        .webhookDeliveries()
        .slice(2)
        .map((d) => [d.status, d.attempt]),
    ).toEqual([
      [503, 1],
      [503, 2],
      [503, 3],
    ])
  })

  it('setKycState delivers no webhook unless asked', async () => {
    const { customer_id } = await client.customers.create(person('quiet@example.com'))
    emulator.setKycState(customer_id, { status: 'pending', sub_status: null })
    await emulator.webhooksSettled()
    expect(receiver.requests).toHaveLength(0)
    expect(emulator.getCustomer(customer_id)?.kycs).toMatchObject({ status: 'pending', sub_status: null })
    expect(() => emulator.setKycState('nobody', { status: 'pending', sub_status: null })).toThrow(
      /Unknown customer/,
    )
  })

  it('sendWebhook delivers now, optionally badly signed, with an explicit created_at, to one URL', async () => {
    const { customer_id } = await client.customers.create(person('send@example.com'))
    const other = await startServer(() => ({ status: 204 }))
    try {
      expect(await emulator.sendWebhook({ customerId: customer_id })).toEqual([{ status: 200 }])
      expect(
        await emulator.sendWebhook({
          customerId: customer_id,
          url: other.url,
          badSignature: true,
          createdAt: '2020-01-01T00:00:00.000Z',
          eventType: 'virtual_account.created',
        }),
      ).toEqual([{ status: 204 }])
      const [good] = receiver.requests
      const [bad] = other.requests
      expect(verifyWebhookSignature(good!.body, String(good!.headers['x-hmac-signature']), 'flow-key')).toBe(
        true,
      )
      expect(verifyWebhookSignature(bad!.body, String(bad!.headers['x-hmac-signature']), 'flow-key')).toBe(
        false,
      )
      expect(parseWebhookEvent(bad!.body)).toMatchObject({
        created_at: '2020-01-01T00:00:00.000Z',
        event_type: 'virtual_account.created',
      })
      expect(
        await emulator.sendWebhook({ customerId: customer_id, url: 'http://127.0.0.1:1/unreachable' }),
      ).toEqual([{ status: 0 }])
    } finally {
      await other.close()
    }
  })

  it('stop() cancels pending webhook retries', async () => {
    receiverStatus = () => 500
    const slow = new AlignEmulator({ apiKey: 'k2', webhookRetry: { attempts: 5, baseDelayMs: 60_000 } })
    await slow.start()
    const c = new AlignClient({ apiKey: 'k2', baseUrl: slow.url })
    await c.webhooks.create({ url: receiver.url })
    const { customer_id } = await c.customers.create(person('stop@example.com'))
    await c.customers.simulateCustomer({ customer_id, action: 'kyc.status.approve' })
    while (slow.webhookDeliveries().length === 0) await new Promise((r) => setTimeout(r, 5))
    await slow.stop()
    await slow.webhooksSettled() // resolves: the 60 s retry timer was cancelled
    expect(slow.webhookDeliveries()).toHaveLength(1)
  })
})

describe('link expiry', () => {
  it('a link expires after linkTtlMs (410, actions refused); a new link is live', async () => {
    const emulator = new AlignEmulator({ linkTtlMs: 60 })
    await emulator.start()
    try {
      const client = new AlignClient({ apiKey: emulator.apiKey, baseUrl: emulator.url })
      const { customer_id } = await client.customers.create(person('ttl@example.com'))
      const old = (await client.customers.createKycSession(customer_id)).kycs.kyc_flow_link
      expect((await fetch(old)).status).toBe(200)
      await new Promise((r) => setTimeout(r, 80))
      const expired = await fetch(old)
      expect(expired.status).toBe(410)
      expect(await expired.text()).toContain('expired')
      expect((await fetch(`${old}/start`, { method: 'POST' })).status).toBe(410)
      expect(emulator.getCustomer(customer_id)?.kycs?.status).toBe('not_started')

      const fresh = (await client.customers.createKycSession(customer_id)).kycs.kyc_flow_link
      expect(fresh).not.toBe(old)
      expect((await fetch(fresh)).status).toBe(200)
      expect((await client.customers.get(customer_id)).kycs?.kyc_flow_link).toBe(fresh)
      expect((await fetch(`${emulator.url}/flow/unknown-token`)).status).toBe(404)
    } finally {
      await emulator.stop()
    }
  })

  it('expireLinks() expires live links now', async () => {
    const emulator = new AlignEmulator()
    await emulator.start()
    try {
      const client = new AlignClient({ apiKey: emulator.apiKey, baseUrl: emulator.url })
      const { customer_id } = await client.customers.create(person('exp@example.com'))
      const link = (await client.customers.createKycSession(customer_id)).kycs.kyc_flow_link
      expect(emulator.expireLinks(customer_id)).toBe(1)
      expect((await fetch(link)).status).toBe(410)
    } finally {
      await emulator.stop()
    }
  })
})

describe('statusOnLinkCreation', () => {
  it('moves the customer to the given state when a link is issued, unless approved; off by default', async () => {
    const moving = new AlignEmulator({
      statusOnLinkCreation: { status: 'pending', sub_status: 'kyc_form_submission_started' },
    })
    const plain = new AlignEmulator()
    await Promise.all([moving.start(), plain.start()])
    try {
      const on = new AlignClient({ apiKey: moving.apiKey, baseUrl: moving.url })
      const off = new AlignClient({ apiKey: plain.apiKey, baseUrl: plain.url })
      const a = (await on.customers.create(person('move@example.com'))).customer_id
      const link = (await on.customers.createKycSession(a)).kycs.kyc_flow_link
      expect((await on.customers.get(a)).kycs).toMatchObject({
        status: 'pending',
        sub_status: 'kyc_form_submission_started',
        kyc_flow_link: link,
        status_breakdown: expect.arrayContaining([expect.objectContaining({ status: 'pending' })]),
      })
      moving.setKycState(a, { status: 'approved', sub_status: 'kyc_form_submission_accepted' })
      await on.customers.createKycSession(a)
      expect((await on.customers.get(a)).kycs?.status).toBe('approved')
      expect(moving.webhookDeliveries()).toEqual([])

      const b = (await off.customers.create(person('stay@example.com'))).customer_id
      await off.customers.createKycSession(b)
      expect((await off.customers.get(b)).kycs).toMatchObject({ status: 'not_started', sub_status: null })
    } finally {
      await Promise.all([moving.stop(), plain.stop()])
    }
  })
})

describe('state file', () => {
  it('keeps customers, links and webhook registrations across a restart, on the same port', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'align-emulator-'))
    const stateFile = path.join(dir, 'state.json')
    try {
      const first = new AlignEmulator({ stateFile })
      await first.start()
      const client = new AlignClient({ apiKey: first.apiKey, baseUrl: first.url })
      const c = await client.customers.create({
        email: 'kept@example.com',
        type: 'corporate',
        company_name: 'Kept',
      })
      const { kycs } = await client.customers.createKycSession(c.customer_id)
      await client.webhooks.create({ url: 'http://127.0.0.1:9/hook' })
      first.setKycState(c.customer_id, { status: 'pending', sub_status: 'kyc_form_submission_started' })
      const url = first.url
      await first.stop()

      const second = new AlignEmulator({ stateFile })
      await second.start()
      try {
        expect(second.url).toBe(url)
        const again = new AlignClient({ apiKey: second.apiKey, baseUrl: second.url })
        expect((await again.customers.get(c.customer_id)).kycs?.status).toBe('pending')
        expect((await again.webhooks.list()).items.map((w) => w.url)).toEqual(['http://127.0.0.1:9/hook'])
        expect((await fetch(kycs.kyc_flow_link)).status).toBe(200)
      } finally {
        await second.stop()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('starts empty, with a warning, from an unreadable state file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'align-emulator-'))
    const stateFile = path.join(dir, 'state.json')
    await writeFile(stateFile, '{not json')
    const warnings: string[] = []
    const emu = new AlignEmulator({
      stateFile,
      logger: { info: () => undefined, warn: (m) => warnings.push(m) },
    })
    try {
      await emu.start()
      expect(emu.snapshot().customers).toEqual([])
      expect(warnings).toContain('emulator state file unreadable; starting empty')
    } finally {
      await emu.stop()
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('control API over HTTP', () => {
  let emulator: AlignEmulator
  beforeAll(async () => {
    emulator = new AlignEmulator()
    await emulator.start()
  })
  afterAll(() => emulator.stop())

  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${emulator.url}/__control${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  }

  it('drives faults, calls, KYC state, webhooks, links and reset without auth', async () => {
    const receiver = await startServer()
    try {
      const client = new AlignClient({ apiKey: emulator.apiKey, baseUrl: emulator.url, maxRetries: 0 })
      const { customer_id } = await client.customers.create(person('ctl@example.com'))
      await client.webhooks.create({ url: receiver.url })

      expect(
        (
          await control('POST', '/faults', {
            route: 'GET /v0/customers/:id',
            kind: '5xx',
            status: 503,
            times: 1,
          })
        ).status,
      ).toBe(200)
      await expect(client.customers.get(customer_id)).rejects.toMatchObject({ status: 503 })
      expect((await control('POST', '/faults', { route: 'GET /nope', kind: 'reset' })).status).toBe(400)
      await control('POST', '/faults', { route: 'GET /v0/customers/:id', kind: 'reset' })
      await control('DELETE', '/faults')
      await expect(client.customers.get(customer_id)).resolves.toMatchObject({ customer_id })

      expect((await control('GET', '/calls')).body).toEqual({
        'POST /v0/customers': 1,
        'POST /v0/webhooks': 1,
        'GET /v0/customers/:id': 2,
      })
      await control('DELETE', '/calls')
      expect((await control('GET', '/calls')).body).toEqual({})

      const put = await control('PUT', `/customers/${customer_id}/kyc`, {
        status: 'approved',
        sub_status: 'kyc_form_submission_accepted',
        deliverWebhook: true,
      })
      expect(put.body).toMatchObject({ kycs: { status: 'approved' } })
      await receiver.waitFor(1)
      expect(
        (await control('PUT', '/customers/nobody/kyc', { status: 'approved', sub_status: null })).status,
      ).toBe(404)
      expect((await control('GET', `/customers/${customer_id}`)).body).toMatchObject({
        kycs: { status: 'approved' },
      })

      const sent = await control('POST', '/webhooks/send', { customerId: customer_id, badSignature: true })
      expect(sent.body).toEqual({ results: [{ status: 200 }] })
      expect(((await control('GET', '/webhooks/deliveries')).body['items'] as unknown[]).length).toBe(2)

      await client.customers.createKycSession(customer_id)
      expect((await control('POST', `/customers/${customer_id}/expire-links`)).body).toEqual({ expired: 1 })

      await control('POST', '/latency', { ms: 0 })
      await control('POST', '/reset')
      expect((await client.customers.list()).items).toEqual([])
      expect(Object.keys((await control('GET', '/calls')).body)).toEqual(['GET /v0/customers'])
    } finally {
      await receiver.close()
    }
  })
})

describe('CLI (separate process)', () => {
  it('starts the emulator, prints its URL and serves the API', async () => {
    const cli = fileURLToPath(new URL('./cli.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0', '--api-key', 'cli-key'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('CLI did not print a URL')), 10_000)
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          const match = /http:\/\/\S+/.exec(chunk)
          if (match) {
            clearTimeout(timer)
            resolve(match[0])
          }
        })
        child.once('exit', (code) => reject(new Error(`CLI exited with ${code}`)))
      })
      const client = new AlignClient({ apiKey: 'cli-key', baseUrl: url })
      const { customer_id } = await client.customers.create(person('cli@example.com'))
      expect((await client.customers.get(customer_id)).email).toBe('cli@example.com')
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
  }, 20_000)
})
