// The emulator's virtual accounts over real HTTP: Align's bodies (201 active / 202 {id, status}),
// the KYC gate, simulate, signed virtual_account.created webhooks sent after the save (and held back
// on request), the control API, the new faults on a create, and persistence across a restart.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { AlignClient } from '../client.js'
import { parseWebhookEvent, verifyWebhookSignature } from '../webhooks.js'
import { startServer, type TestServer } from '../test-support/http.js'
import { AlignEmulator } from './emulator.js'

const KEY = 'va-emulator-key'
const ADDRESS = '0x742d35Cc6634C0532925a3b844Bc9e7595f0aB42'
const usd = {
  source_currency: 'usd',
  destination_token: 'usdc',
  destination_network: 'polygon',
  destination_address: ADDRESS,
} as const
const CREATE = 'POST /v0/customers/:id/virtual-account'

let emulator: AlignEmulator
let receiver: TestServer
let client: AlignClient

async function call(method: string, route: string, body?: unknown) {
  const res = await fetch(`${emulator.url}${route}`, {
    method,
    headers: { authorization: KEY, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) }
}

async function customer(email: string, approve = true): Promise<string> {
  const { customer_id } = await client.customers.create({
    email,
    type: 'individual',
    first_name: 'Grace',
    last_name: 'Hopper',
  })
  if (approve)
    emulator.setKycState(customer_id, { status: 'approved', sub_status: 'kyc_form_submission_accepted' })
  return customer_id
}

describe('emulator virtual accounts', () => {
  beforeEach(async () => {
    receiver = await startServer()
    emulator = new AlignEmulator({ apiKey: KEY, webhookRetry: { attempts: 2, baseDelayMs: 10 } })
    await emulator.start()
    client = new AlignClient({ apiKey: KEY, baseUrl: emulator.url, retryBaseDelayMs: 1, timeoutMs: 2_000 })
    await client.webhooks.create({ url: `${receiver.url}/align` })
  })
  afterEach(async () => {
    await emulator.stop()
    await receiver.close()
  })

  it('refuses a create before KYC approval (403 kyc_not_approved), then opens one once approved', async () => {
    const id = await customer('gate@example.com', false)
    for (const state of [
      { status: 'not_started', sub_status: null },
      { status: 'pending', sub_status: 'kyc_form_submission_started' },
      { status: 'rejected', sub_status: 'kyc_form_resubmission_required' },
    ]) {
      emulator.setKycState(id, state)
      const refused = await call('POST', `/v0/customers/${id}/virtual-account`, usd)
      expect(refused).toEqual({
        status: 403,
        json: { message: expect.stringContaining(state.status), code: 'kyc_not_approved' },
      })
    }
    expect(emulator.virtualAccounts(id)).toEqual([])
    emulator.setKycState(id, { status: 'approved', sub_status: 'kyc_form_submission_accepted' })
    expect((await call('POST', `/v0/customers/${id}/virtual-account`, usd)).status).toBe(201)
    expect(emulator.calls()[CREATE]).toBe(4)
  })

  it('answers 404 for an unknown customer, 400 for a bad body, 401 without the key', async () => {
    expect((await call('POST', '/v0/customers/nope/virtual-account', usd)).status).toBe(404)
    expect((await call('GET', '/v0/customers/nope/virtual-account')).status).toBe(404)
    const id = await customer('body@example.com')
    const bad = await call('POST', `/v0/customers/${id}/virtual-account`, {
      ...usd,
      destination_network: 'btc',
    })
    expect(bad).toEqual({
      status: 400,
      json: { message: expect.stringContaining('destination_network'), code: 'validation_error' },
    })
    const noKey = await fetch(`${emulator.url}/v0/customers/${id}/virtual-account`)
    expect(noKey.status).toBe(401)
  })

  it('201 with the full account for usd and eur; 202 {id, status} for aed and usd swift', async () => {
    const id = await customer('shapes@example.com')
    const created = await call('POST', `/v0/customers/${id}/virtual-account`, usd)
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({
      status: 'active',
      source_currency: 'usd',
      deposit_instructions: {
        payment_rails: ['ach', 'wire'],
        currency: 'usd',
        account_beneficiary_name: 'Grace Hopper',
        us: {
          account_number: expect.stringMatching(/^\d{12}$/),
          routing_number: expect.stringMatching(/^\d{9}$/),
        },
      },
    })
    const eur = await call('POST', `/v0/customers/${id}/virtual-account`, { ...usd, source_currency: 'eur' })
    expect(eur.json).toMatchObject({
      status: 'active',
      deposit_instructions: { payment_rails: ['sepa'], currency: 'eur', account_holder_name: 'Grace Hopper' },
    })
    for (const body of [
      { ...usd, source_currency: 'aed' },
      { ...usd, source_rails: 'swift' },
    ]) {
      const accepted = await call('POST', `/v0/customers/${id}/virtual-account`, body)
      expect(accepted).toEqual({ status: 202, json: { id: expect.any(String), status: 'pending' } })
      const read = await call('GET', `/v0/customers/${id}/virtual-account/${String(accepted.json?.['id'])}`)
      expect(read.json).toMatchObject({ status: 'pending', deposit_instructions: null, ...body })
    }
    const list = await call('GET', `/v0/customers/${id}/virtual-account`)
    expect((list.json?.['items'] as { status: string }[]).map((a) => a.status)).toEqual([
      'active',
      'active',
      'pending',
      'pending',
    ])
    // The same id always shows the same bank details.
    const again = await call('GET', `/v0/customers/${id}/virtual-account/${String(created.json?.['id'])}`)
    expect(again.json).toEqual(created.json)
  })

  it('keeps accounts per customer: another customer cannot read or issue them', async () => {
    const a = await customer('a@example.com')
    const b = await customer('b@example.com')
    const account = await client.virtualAccounts.create(a, { ...usd, source_currency: 'aed' })
    expect((await call('GET', `/v0/customers/${b}/virtual-account/${account.id}`)).status).toBe(404)
    expect((await call('GET', `/v0/customers/${b}/virtual-account`)).json).toEqual({ items: [] })
    const wrong = await call('POST', `/v0/customers/${b}/virtual-account/simulate`, {
      action: 'issue_pending_virtual_account',
      virtual_account_id: account.id,
    })
    expect(wrong.status).toBe(404)
    const unknownAction = await call('POST', `/v0/customers/${a}/virtual-account/simulate`, {
      action: 'close',
      virtual_account_id: account.id,
    })
    expect(unknownAction.status).toBe(400)
    expect(emulator.getVirtualAccount(account.id)?.status).toBe('pending')
  })

  it('sends a signed virtual_account.created carrying only the account id, once, after the save', async () => {
    const id = await customer('hook@example.com')
    const account = await client.virtualAccounts.create(id, { ...usd, source_rails: 'swift' })
    await emulator.webhooksSettled()
    const [delivery] = await receiver.waitFor(1)
    expect(verifyWebhookSignature(delivery!.body, String(delivery!.headers['x-hmac-signature']), KEY)).toBe(
      true,
    )
    expect(JSON.parse(delivery!.body)).toEqual({
      event_type: 'virtual_account.created',
      entity_id: account.id,
      entity_type: 'virtual_account',
      created_at: expect.any(String),
    })
    expect(parseWebhookEvent(delivery!.body).entity_type).toBe('virtual_account')
    await client.virtualAccounts.simulate(id, {
      action: 'issue_pending_virtual_account',
      virtual_account_id: account.id,
    })
    await emulator.webhooksSettled()
    expect(receiver.requests).toHaveLength(1) // issuing sends nothing by default
  })

  it('holds virtual-account webhooks back, lists them, and delivers them on release', async () => {
    const id = await customer('held@example.com')
    const held = await call('POST', '/__control/webhooks/hold', {
      eventType: 'virtual_account.created',
      hold: true,
    })
    expect(held).toEqual({ status: 200, json: { released: 0 } })
    const one = await client.virtualAccounts.create(id, usd)
    const two = await client.virtualAccounts.create(id, { ...usd, source_currency: 'eur' })
    emulator.setKycState(id, { status: 'approved', sub_status: null }, { deliverWebhook: true })
    await emulator.webhooksSettled()
    // Only the KYC event went out.
    expect(receiver.requests.map((r) => (JSON.parse(r.body) as { event_type: string }).event_type)).toEqual([
      'customer.kycs.updated',
    ])
    const list = await call('GET', '/__control/webhooks/held')
    expect((list.json?.['items'] as { entityId: string }[]).map((h) => h.entityId)).toEqual([one.id, two.id])

    expect(emulator.holdWebhooks('virtual_account.created', false)).toBe(2)
    await emulator.webhooksSettled()
    const ids = receiver.requests.slice(1).map((r) => (JSON.parse(r.body) as { entity_id: string }).entity_id)
    expect(ids).toEqual([one.id, two.id])
    expect(emulator.heldWebhooks()).toEqual([])

    // Discarding drops them; sendWebhook delivers one by hand (entity type from the event type).
    emulator.holdWebhooks('virtual_account.created', true)
    const three = await client.virtualAccounts.create(id, { ...usd, destination_token: 'usdt' })
    expect(emulator.holdWebhooks('virtual_account.created', false, { discard: true })).toBe(1)
    await emulator.webhooksSettled()
    expect(receiver.requests).toHaveLength(3)
    const sent = await call('POST', '/__control/webhooks/send', {
      eventType: 'virtual_account.created',
      entityId: three.id,
    })
    expect(sent).toEqual({ status: 200, json: { results: [{ status: 200 }] } })
    expect(JSON.parse(receiver.requests[3]!.body)).toMatchObject({
      entity_id: three.id,
      entity_type: 'virtual_account',
    })
    expect((await call('POST', '/__control/webhooks/send', { eventType: 'x' })).status).toBe(400)
  })

  it('creates an account nobody asked for through the control API (no KYC gate, not counted)', async () => {
    const id = await customer('stray@example.com', false)
    emulator.resetCalls()
    const created = await call('POST', '/__control/virtual-accounts', { customerId: id, ...usd })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ status: 'active', destination_address: ADDRESS })
    await emulator.webhooksSettled()
    expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({ entity_id: created.json?.['id'] })
    expect(emulator.calls()).toEqual({})
    // Align now refuses the same parameters (409); the service must find it by listing.
    emulator.setKycState(id, { status: 'approved', sub_status: 'kyc_form_submission_accepted' })
    expect((await call('POST', `/v0/customers/${id}/virtual-account`, usd)).status).toBe(409)
    expect((await call('POST', '/__control/virtual-accounts', { customerId: id, ...usd })).status).toBe(400)
    expect((await call('POST', '/__control/virtual-accounts', { customerId: 'nope', ...usd })).status).toBe(
      404,
    )
    expect((await call('GET', `/__control/virtual-accounts?customerId=${id}`)).json?.['items']).toHaveLength(
      1,
    )
    expect(() => emulator.createVirtualAccount('nope', usd)).toThrow(/not found/)
    const pending = emulator.createVirtualAccount(id, { ...usd, source_currency: 'aed' })
    expect(pending).toMatchObject({ status: 'pending', deposit_instructions: null })
  })

  it.each(['succeed-then-timeout', 'succeed-then-reset'] as const)(
    '%s opens the account (and announces it) but never answers',
    async (kind) => {
      const id = await customer(`${kind}@example.com`)
      emulator.injectFault({ route: CREATE, kind, times: 1 })
      const controller = new AbortController()
      const timer = setTimeout(() => controller.abort(), 300)
      const outcome = await fetch(`${emulator.url}/v0/customers/${id}/virtual-account`, {
        method: 'POST',
        headers: { authorization: KEY, 'content-type': 'application/json' },
        body: JSON.stringify(usd),
        signal: controller.signal,
      }).then(
        (res) => `answered ${res.status}`,
        (error: unknown) => (error as Error).name,
      )
      clearTimeout(timer)
      expect(outcome).toBe(kind === 'succeed-then-timeout' ? 'AbortError' : 'TypeError')
      expect(emulator.virtualAccounts(id)).toHaveLength(1)
      await receiver.waitFor(1)
      expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({ event_type: 'virtual_account.created' })
      // The next call is answered normally.
      expect((await call('GET', `/v0/customers/${id}/virtual-account`)).status).toBe(200)
    },
  )

  it('lists every rail in status_breakdown, and takes an explicit breakdown', async () => {
    const id = await customer('rails@example.com')
    const rails = (await client.customers.get(id)).kycs?.status_breakdown?.map(
      (r) => `${r.currency}/${String(r.payment_rails)}:${r.status}`,
    )
    expect(rails).toEqual([
      'usd/ach:approved',
      'usd/wire:approved',
      'eur/sepa:approved',
      'usd/swift:approved',
      'aed/uaefts:approved',
    ])
    const put = await fetch(`${emulator.url}/__control/customers/${id}/kyc`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        status: 'approved',
        sub_status: 'kyc_form_submission_accepted',
        status_breakdown: [{ currency: 'aed', payment_rails: 'uaefts', status: 'pending' }],
      }),
    })
    expect(put.status).toBe(200)
    expect((await client.customers.get(id)).kycs?.status_breakdown).toEqual([
      { currency: 'aed', payment_rails: 'uaefts', status: 'pending' },
    ])
  })
})

describe('virtualAccountWebhookOnIssue', () => {
  it('also announces an account when a pending one is issued', async () => {
    const hooks = await startServer()
    const local = new AlignEmulator({ apiKey: KEY, virtualAccountWebhookOnIssue: true })
    await local.start()
    try {
      const align = new AlignClient({ apiKey: KEY, baseUrl: local.url })
      await align.webhooks.create({ url: hooks.url })
      const { customer_id } = await align.customers.create({
        email: 'i@example.com',
        type: 'corporate',
        company_name: 'I',
      })
      await align.customers.simulateCustomer({ customer_id, action: 'kyc.status.approve' })
      await local.webhooksSettled()
      const account = await align.virtualAccounts.create(customer_id, { ...usd, source_currency: 'aed' })
      await align.virtualAccounts.simulate(customer_id, {
        action: 'issue_pending_virtual_account',
        virtual_account_id: account.id,
      })
      await local.webhooksSettled()
      const vaEvents = hooks.requests
        .map((r) => JSON.parse(r.body) as { event_type: string; entity_id: string })
        .filter((e) => e.event_type === 'virtual_account.created')
      expect(vaEvents.map((e) => e.entity_id)).toEqual([account.id, account.id])
    } finally {
      await local.stop()
      await hooks.close()
    }
  })
})

describe('virtual accounts in the state file', () => {
  it('keeps accounts (pending and issued) across a restart, and loads an older file without them', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'align-emulator-va-'))
    const stateFile = path.join(dir, 'state.json')
    try {
      const first = new AlignEmulator({ stateFile })
      await first.start()
      const align = new AlignClient({ apiKey: first.apiKey, baseUrl: first.url })
      const { customer_id } = await align.customers.create({
        email: 'keep@example.com',
        type: 'corporate',
        company_name: 'K',
      })
      await align.customers.simulateCustomer({ customer_id, action: 'kyc.status.approve' })
      const active = await align.virtualAccounts.create(customer_id, usd)
      const pending = await align.virtualAccounts.create(customer_id, { ...usd, source_currency: 'aed' })
      // Answered means saved: the file already holds both.
      const onDisk = JSON.parse(await readFile(stateFile, 'utf8')) as { virtualAccounts: unknown[] }
      expect(onDisk.virtualAccounts).toHaveLength(2)
      await first.stop()

      const second = new AlignEmulator({ stateFile })
      await second.start()
      try {
        const again = new AlignClient({ apiKey: second.apiKey, baseUrl: second.url })
        expect(await again.virtualAccounts.retrieve(customer_id, active.id)).toEqual(active)
        const issued = await again.virtualAccounts.simulate(customer_id, {
          action: 'issue_pending_virtual_account',
          virtual_account_id: pending.id,
        })
        expect(issued.status).toBe('active')
        await expect(again.virtualAccounts.create(customer_id, usd)).rejects.toMatchObject({ status: 409 })
      } finally {
        await second.stop()
      }

      // A file written before virtual accounts existed.
      const old = JSON.parse(await readFile(stateFile, 'utf8')) as Record<string, unknown>
      delete old['virtualAccounts']
      await writeFile(stateFile, JSON.stringify(old))
      const third = new AlignEmulator({ stateFile })
      await third.start()
      try {
        const align3 = new AlignClient({ apiKey: third.apiKey, baseUrl: third.url })
        expect((await align3.customers.get(customer_id)).kycs?.status).toBe('approved')
        expect((await align3.virtualAccounts.list(customer_id)).items).toEqual([])
        expect(third.snapshot().virtualAccounts).toEqual([])
      } finally {
        await third.stop()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
