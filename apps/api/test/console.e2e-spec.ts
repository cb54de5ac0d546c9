import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { CHROMIUM, CHROMIUM_FLAGS, haveChromium } from './support/chromium.js'
import { createTestDatabase } from './support/databases.js'
import { OPERATOR_TOKEN, ServiceProcess, TOKEN } from './support/test-app.js'

/** For a person to look at (git-ignored): every page at 1280 px and at a phone's width. */
const SCREENSHOTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../console/screenshots')
const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1280, height: 900 }

// CI installs Debian's Chromium (.ci/run); elsewhere the test is skipped when it is missing.
const describeWithChromium = haveChromium() ? describe : describe.skip

type Json = Record<string, unknown>

/**
 * The operators' console in Debian's Chromium against the built service in local mode (the built-in
 * emulator's hosted flow and webhooks) on its own PostgreSQL database: sign-in and the refusal of a
 * consumer token, the overview's numbers against GET /v1/stats/kyc, a customer found by email whose
 * timeline follows the hosted flow run in another tab, a failed inbound delivery retried, a redaction
 * confirmed. Any browser console error or page error fails the test that caused it.
 */
describeWithChromium('operators console in Chromium (e2e)', () => {
  let svc: ServiceProcess
  let drop: () => Promise<void>
  let browser: Browser
  let context: BrowserContext
  let page: Page
  const errors: string[] = []
  const ids: Record<string, string> = {}

  const api = async (method: string, route: string, body?: Json, token = OPERATOR_TOKEN) => {
    const res = await fetch(svc.url + route, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    })
    const text = await res.text()
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Json }
  }
  const eventually = async <T>(
    what: string,
    probe: () => Promise<T | null | undefined | false>,
    ms = 20_000,
  ) => {
    const until = Date.now() + ms
    for (;;) {
      const v = await probe()
      if (v) return v
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
      await new Promise((r) => setTimeout(r, 150))
    }
  }
  /** Both widths of the page as it is now (the phone one taken last, then back to 1280). */
  const screenshot = async (p: Page, name: string) => {
    await p.screenshot({ path: path.join(SCREENSHOTS, `${name}-1280.png`), fullPage: true })
    await p.setViewportSize(PHONE)
    await p.screenshot({ path: path.join(SCREENSHOTS, `${name}-phone.png`), fullPage: true })
    await p.setViewportSize(DESKTOP)
  }
  const watch = (p: Page) => {
    p.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
    p.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`)
    })
  }
  const noErrors = () => {
    expect(errors).toEqual([])
    errors.length = 0
  }

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true })
    const db = await createTestDatabase()
    drop = db.drop
    svc = await ServiceProcess.start(
      {
        DATABASE_URL: db.url,
        MIGRATE_ON_START: 'false',
        ALIGN_ENVIRONMENT: 'local',
        ALIGN_EMULATOR_STATE_FILE: 'none',
        API_KEYS: TOKEN,
        OPERATOR_KEYS: OPERATOR_TOKEN,
        RATE_LIMIT_PER_MINUTE: '0',
        WEBHOOK_COALESCE_WINDOW: '0',
        WEBHOOK_WORKER_INTERVAL: '200ms',
        // One attempt: a delivery whose processing fails is `failed` at once (the retry test).
        WEBHOOK_MAX_ATTEMPTS: '1',
      },
      { timeoutMs: 60_000 },
    )
    // Seed through the API: four customers, one with a link, one approved, and an endpoint that
    // nothing answers (its deliveries stay pending).
    for (const [key, first] of [
      ['alice', 'Alice'],
      ['bob', 'Bob'],
      ['carol', 'Carol'],
      ['dave', 'Dave'],
    ] as const) {
      const c = await api('POST', '/v1/customers', {
        email: `${key}@console.example`,
        type: 'individual',
        firstName: first,
        lastName: 'Console',
      })
      expect(c.status).toBe(201)
      ids[key] = String(c.body.id)
      ids[`${key}Align`] = String(c.body.alignCustomerId)
    }
    expect((await api('POST', `/v1/customers/${ids.carol}/kyc-sessions`, {})).status).toBe(201)
    const simulated = await api('POST', `/v1/sandbox/customers/${ids.carol}/simulate`, {
      action: 'kyc.status.approve',
    })
    expect(simulated.body.status).toBe('approved')
    expect((await api('POST', '/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/hook' })).status).toBe(201)
    // Quiet before the overview is compared: every webhook of the seed applied.
    await eventually('the inbound queue to drain', async () => {
      const s = await api('GET', '/v1/stats/kyc')
      return (s.body.inbound as Json).pending === 0
    })
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS })
    context = await browser.newContext({ viewport: DESKTOP })
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: svc.url })
    page = await context.newPage()
    watch(page)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await svc?.stop()
    await drop?.()
  })

  it('refuses a consumer token with a clear message, and keeps nothing', async () => {
    const other = await browser.newContext({ viewport: DESKTOP })
    const p = await other.newPage()
    const seen: string[] = []
    p.on('pageerror', (e) => seen.push(`pageerror: ${e.message}`))
    p.on('console', (m) => m.type() === 'error' && seen.push(m.text()))
    await p.goto(`${svc.url}/console`)
    await p.getByLabel('Operator token').fill(TOKEN)
    await p.getByRole('button', { name: 'Sign in' }).click()
    const refusal = p.getByTestId('signin-error')
    await refusal.waitFor()
    expect(await refusal.textContent()).toMatch(/consumer token \(API_KEYS\).*operator token.*OPERATOR_KEYS/)
    expect(await p.evaluate('JSON.stringify(sessionStorage)')).toBe('{}')
    // An unknown token is told apart from a consumer one.
    await p.getByLabel('Operator token').fill('nobody-knows-this')
    await p.getByRole('button', { name: 'Sign in' }).click()
    await p.getByTestId('signin-error').filter({ hasText: 'does not know this token' }).waitFor()
    await screenshot(p, 'signin-refused')
    // Chromium reports each refused request (403, then 401) as a console error: those two, nothing else.
    expect(seen).toEqual([expect.stringMatching(/status of 403/), expect.stringMatching(/status of 401/)])
    await other.close()
  })

  it("signs in; the overview's numbers are GET /v1/stats/kyc's", async () => {
    await page.goto(`${svc.url}/console`)
    await page.getByLabel('Operator token').fill(OPERATOR_TOKEN)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByTestId('overview-ready').waitFor({ state: 'attached' })
    const stats = (await api('GET', '/v1/stats/kyc')).body as {
      byStatus: Record<string, number>
      funnel: Record<string, number>
      stuck: { pendingOver7Days: number }
      inbound: { pending: number; failed: number }
      outbound: { pending: number; failed: number }
    }
    const text = (testId: string) => page.getByTestId(testId).textContent()
    const n = (v: number) => v.toLocaleString('en-US')
    expect(stats.funnel.created).toBe(4)
    for (const [k, v] of Object.entries(stats.funnel))
      expect([k, await text(`bar-funnel-${k}`)]).toEqual([k, n(v)])
    for (const [k, v] of Object.entries(stats.byStatus))
      expect([k, await text(`bar-status-${k}`)]).toEqual([k, n(v)])
    expect(await text('stuck')).toBe(n(stats.stuck.pendingOver7Days))
    expect(await text('inbound-pending')).toBe(n(stats.inbound.pending))
    expect(await text('inbound-failed')).toBe(n(stats.inbound.failed))
    expect(await text('outbound-pending')).toBe(n(stats.outbound.pending))
    expect(await text('outbound-failed')).toBe(n(stats.outbound.failed))
    expect(await text('align-state')).toBe('answering')
    expect(await text('environment')).toBe('local')
    // The token is kept for the tab only, and never in a URL.
    expect(await page.evaluate('Object.values(sessionStorage)')).toEqual([OPERATOR_TOKEN])
    expect(page.url()).not.toContain(OPERATOR_TOKEN)
    await screenshot(page, 'overview')
    noErrors()
  })

  it('finds a customer by email, runs the hosted flow in another tab and watches the timeline follow', async () => {
    await page.getByRole('link', { name: 'Customers' }).click()
    await page.getByTestId('customer-row').first().waitFor()
    expect(await page.getByTestId('customer-row').count()).toBe(4)
    await page.getByLabel('Email').fill('BOB@console.example')
    await page.getByRole('button', { name: 'Search' }).click()
    await page.waitForURL(/email=BOB%40console.example/)
    await eventually('one row', async () => (await page.getByTestId('customer-row').count()) === 1)
    await screenshot(page, 'customers')
    await page.getByRole('link', { name: 'bob@console.example' }).click()
    await page.waitForURL(`${svc.url}/console/customers/${ids.bob}`)
    await page.getByTestId('kyc-status').filter({ hasText: 'not started' }).waitFor()
    expect(await page.getByTestId('profile-email').textContent()).toBe('bob@console.example')
    // Local mode: the simulation exists.
    await page.getByTestId('action-simulate').waitFor()

    let loads = 0
    page.on('load', () => loads++)
    // A new link, confirmed, then opened in another tab.
    await page.getByTestId('action-link').click()
    await page.getByRole('dialog').getByText('Issue a new KYC link?').waitFor()
    await page.getByTestId('action-link-confirm').click()
    const url = page.getByTestId('new-link-url')
    await url.waitFor()
    const kycUrl = await url.getAttribute('href')
    expect(kycUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//)
    await page.getByRole('button', { name: 'Copy' }).click()
    await page.getByText('Copied').waitFor()
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(kycUrl)
    await page.getByTestId('tl-link').filter({ hasText: 'a new link was forced' }).waitFor()

    const [flow] = await Promise.all([context.waitForEvent('page'), url.click()])
    await flow.waitForLoadState()
    await flow.click('text=Start verification')
    await page.getByTestId('kyc-status').filter({ hasText: 'pending' }).waitFor({ timeout: 20_000 })
    await page.getByTestId('tl-status').filter({ hasText: 'pending' }).first().waitFor()
    await flow.click('text=Approve (reviewer)')
    await page.getByTestId('kyc-status').filter({ hasText: 'approved' }).waitFor({ timeout: 20_000 })
    await flow.close()
    // The timeline interleaves what happened: link, Align's webhooks, status changes, events.
    await eventually('the approval in every source', async () => {
      const [statuses, inbound, events] = await Promise.all([
        page.getByTestId('tl-status').allTextContents(),
        page.getByTestId('tl-inbound').allTextContents(),
        page.getByTestId('tl-event').allTextContents(),
      ])
      return (
        statuses.some((t) => t.includes('approved')) &&
        inbound.length >= 2 &&
        events.filter((t) => t.includes('customer.kyc.updated')).length >= 2
      )
    })
    const history = (await api('GET', `/v1/customers/${ids.bob}/kyc`)).body.history as Json[]
    expect(await page.getByTestId('tl-status').count()).toBe(history.length)
    const kinds = await page
      .locator('[data-kind]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')))
    expect(kinds[0]).not.toBe('link') // newest first: the approval's traces, not the link, are on top
    expect(kinds[kinds.length - 1]).toBe('event') // oldest: customer.created
    expect(loads).toBe(0) // polled, never reloaded
    expect(await page.getByTestId('action-simulate').isDisabled()).toBe(true)
    await screenshot(page, 'customer')

    // A deep link survives a reload: same page, still signed in.
    await page.reload()
    await page.getByTestId('kyc-status').filter({ hasText: 'approved' }).waitFor()
    noErrors()
  })

  it('retries a failed inbound delivery from the webhooks page', async () => {
    // Align answering 500 to the customer read makes the worker fail dave's next delivery (one
    // attempt); the emulator's control routes are on the origin of its links.
    const link = await api('POST', `/v1/customers/${ids.dave}/kyc-sessions`, {})
    const emulator = new URL(String(link.body.kycUrl)).origin
    const control = (method: string, route: string, body?: Json) =>
      fetch(emulator + route, {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      }).then((r) => expect(r.status).toBe(200))
    await control('POST', '/__control/faults', { route: 'GET /v0/customers/:id', kind: '5xx', status: 500 })
    await control('POST', '/__control/webhooks/send', { customerId: ids.daveAlign })
    const failed = await eventually('the delivery to fail', async () => {
      const list = await api('GET', `/v1/webhooks/deliveries?customerId=${ids.dave}&status=failed`)
      return (list.body.items as Json[])[0]
    })
    await control('DELETE', '/__control/faults')

    await page.getByRole('link', { name: 'Webhooks' }).click()
    await page.getByTestId('inbound-tab-failed').click()
    const row = page.locator(`[data-testid="inbound-row"][data-id="${String(failed.id)}"]`)
    await row.waitFor()
    expect(await row.getByTestId('inbound-status').textContent()).toBe('failed')
    expect(await row.textContent()).toContain('500')
    await screenshot(page, 'webhooks')
    await row.getByTestId('inbound-retry').click()
    // Re-queued and processed: it leaves the failed tab, and the API agrees.
    await row.waitFor({ state: 'detached', timeout: 20_000 })
    await eventually('the retried delivery to be processed', async () => {
      const list = await api('GET', `/v1/webhooks/deliveries?customerId=${ids.dave}`)
      return (list.body.items as Json[]).find((d) => d.id === failed.id && d.status === 'processed')
    })
    await page.getByTestId('inbound-tab-processed').click()
    await row.getByTestId('inbound-status').filter({ hasText: 'processed' }).waitFor()
    // The outbound side lists the endpoint and its (pending, unanswered) deliveries.
    await page.getByTestId('endpoint-deliveries').click()
    await page.getByTestId('outbound-row').first().waitFor()
    noErrors()
  })

  it('redacts a customer only once confirmed', async () => {
    await page.goto(`${svc.url}/console/customers/${ids.alice}`)
    await page.getByTestId('profile-email').filter({ hasText: 'alice@console.example' }).waitFor()
    // Cancelled: nothing happens.
    await page.getByTestId('action-redact').click()
    const dialog = page.getByRole('dialog')
    await dialog.getByText('Redact this customer?').waitFor()
    await screenshot(page, 'redact-confirm')
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await dialog.waitFor({ state: 'hidden' })
    expect((await api('GET', `/v1/customers/${ids.alice}`)).body.redactedAt).toBeNull()
    // Confirmed: redacted here and in the API.
    await page.getByTestId('action-redact').click()
    await page.getByTestId('action-redact-confirm').click()
    await page.getByTestId('profile-redacted').waitFor()
    expect(await page.getByTestId('profile-email').textContent()).toBe('redacted')
    expect(await page.getByTestId('customer-title').textContent()).toBe('Redacted customer')
    const after = (await api('GET', `/v1/customers/${ids.alice}`)).body
    expect(after.redactedAt).toEqual(expect.any(String))
    expect(await page.getByTestId('action-redact').isDisabled()).toBe(true)
    expect(await page.getByTestId('action-link').isDisabled()).toBe(true)
    await screenshot(page, 'customer-redacted')
    noErrors()
  })

  it('serves the console under its own CSP and keeps the API under its own', async () => {
    const html = await fetch(`${svc.url}/console/customers/${ids.bob}`)
    expect(html.status).toBe(200)
    expect(html.headers.get('content-type')).toMatch(/^text\/html/)
    const csp = html.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    const page = await html.text()
    expect(page).not.toMatch(/<script>(?!<\/script>)/) // no inline script
    const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(page)![1]!
    const js = await fetch(svc.url + asset)
    expect(js.status).toBe(200)
    expect(js.headers.get('cache-control')).toContain('immutable')
    const missing = await fetch(`${svc.url}/console/assets/nope.js`)
    expect(missing.status).toBe(404)
    expect(missing.headers.get('content-type')).toMatch(/problem\+json/)
    const apiAnswer = await fetch(`${svc.url}/v1/customers`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    })
    expect(apiAnswer.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'")
    // Not an API route: the OpenAPI document does not list it.
    const doc = (await (await fetch(`${svc.url}/docs-json`)).json()) as { paths: Record<string, unknown> }
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/console'))).toEqual([])
  })
})

describe('console not built', () => {
  it('answers /console with 503 console_not_built saying how to build it, and the API still works', async () => {
    const db = await createTestDatabase()
    const svc = await ServiceProcess.start({
      DATABASE_URL: db.url,
      MIGRATE_ON_START: 'false',
      ALIGN_ENVIRONMENT: 'local',
      ALIGN_EMULATOR_STATE_FILE: 'none',
      API_KEYS: TOKEN,
      CONSOLE_DIR: '/nonexistent/console-dist',
    })
    try {
      for (const route of ['/console', '/console/customers/x']) {
        const res = await fetch(svc.url + route)
        expect(res.status).toBe(503)
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
        const problem = (await res.json()) as Json
        expect(problem).toMatchObject({ status: 503, code: 'console_not_built' })
        expect(problem.detail).toContain('npm run build')
      }
      const ready = await fetch(`${svc.url}/health/ready`)
      expect(ready.status).toBe(200)
      expect(svc.log).toContain('/console answers 503')
    } finally {
      await svc.stop()
      await db.drop()
    }
  })
})
