/**
 * An in-memory Align over real HTTP (node:http), for local mode and tests.
 *
 * Implements every route the client uses with Align's validation, `{message, code}` errors and
 * raw-key auth, plus the hosted KYC flow at each `kyc_flow_link`, signed `customer.kycs.updated`
 * webhooks with bounded retries, link expiry, and a control surface (in-process methods and
 * unauthenticated `/__control/...` HTTP routes) to set state, send webhooks and inject faults.
 */
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdir, open, readFile, rename } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import {
  createCustomerSchema,
  createWebhookSchema,
  simulateCustomerSchema,
  toIssues,
  updateCustomerSchema,
} from '../core/schemas.js'
import { signWebhookBody } from '../webhooks.js'
import type { AlignCustomer, AlignCustomerDocument, AlignWebhook } from '../types.js'

/** Logger the emulator reports deliveries and failures to. It never logs the API key. */
export type AlignEmulatorLogger = {
  info(msg: string, meta?: object): void
  warn(msg: string, meta?: object): void
}

/** Options of {@link AlignEmulator}. */
export type AlignEmulatorOptions = {
  /** Key clients must send raw in `Authorization`. Default `'emulator-api-key'`. Also the webhook signing key. */
  apiKey?: string
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string
  /** Port; 0 (default) picks a free one. */
  port?: number
  /** Lifetime of each KYC flow link in ms. Default 24 h. */
  linkTtlMs?: number
  /** Latency added to every Align route, in ms. Default 0. */
  latencyMs?: number
  /**
   * The KYC state a customer moves to when a link is issued for it (`POST /v0/customers/:id/kycs`),
   * as if Align's status changed as the link was issued, e.g. `{ status: 'pending', sub_status:
   * 'kyc_form_submission_started' }`; an approved customer keeps its state. No webhook is sent.
   * Default: issuing a link leaves the state as it is.
   */
  statusOnLinkCreation?: AlignEmulatorKycState
  /** Webhook delivery retries: `attempts` in total (default 5), backoff `baseDelayMs * 2^(n-1)` (default 500 ms). */
  webhookRetry?: { attempts?: number; baseDelayMs?: number }
  /** Where to report deliveries. Default: silent. */
  logger?: AlignEmulatorLogger
  /**
   * A JSON file that keeps customers, links and webhook registrations across restarts. Every change
   * is on disk before it is answered (or before its webhook is sent), and survives `kill -9` and
   * power loss: the file is replaced atomically (temporary file, fsync, rename, fsync of the
   * directory). A change that cannot be saved is answered `503 state_not_saved`. On start it is read
   * back, and its port is reused when `port` is 0, so links handed out before a restart keep
   * working. Default: nothing is kept.
   */
  stateFile?: string
}

/** What `stateFile` holds (also `snapshot()` / `restore()`). */
export type AlignEmulatorState = {
  version: 1
  port: number | null
  customers: { customer: AlignCustomer; documents: AlignCustomerDocument[] }[]
  links: { token: string; customerId: string; expiresAt: number }[]
  webhooks: AlignWebhook[]
}

/**
 * Fault kinds:
 * - `5xx`: answer `status` (default 500; any status works, e.g. 429 or 408) with `{message, code}`
 *   and an optional `Retry-After`;
 * - `timeout`: never answer (the client's timeout fires);
 * - `reset`: destroy the socket without answering;
 * - `malformed`: answer 200 with a body that is not JSON;
 * - `succeed-then-500`: perform the operation, then answer 500 (an unknown outcome for the client).
 */
export type AlignEmulatorFaultKind = '5xx' | 'timeout' | 'reset' | 'malformed' | 'succeed-then-500'

/** A fault on one route, e.g. `{ route: 'GET /v0/customers/:id', kind: 'reset', times: 1 }`. */
export type AlignEmulatorFault = {
  /** Route key: method, space, pattern (see `AlignEmulator.routes`). */
  route: string
  kind: AlignEmulatorFaultKind
  /** Status for `5xx` (default 500). */
  status?: number
  /** How many calls the fault applies to; default: until `clearFaults()`. */
  times?: number
  /** `Retry-After` header value sent with a `5xx` fault (seconds or an HTTP date). */
  retryAfter?: string
}

/** KYC state as set through the control API. */
export type AlignEmulatorKycState = { status: string; sub_status: string | null }

/** One webhook delivery attempt (`status` null when the receiver could not be reached). */
export type AlignEmulatorWebhookDelivery = {
  url: string
  status: number | null
  attempt: number
  body: string
}

/** Input of {@link AlignEmulator.sendWebhook}. */
export type AlignEmulatorSendWebhookInput = {
  customerId: string
  /** Only this URL; default: every registered webhook. */
  url?: string
  /** Sign with a wrong key (a well-formed but invalid signature). */
  badSignature?: boolean
  /** Explicit `created_at` (e.g. an old one); default: now. */
  createdAt?: string
  /** Default `customer.kycs.updated`. */
  eventType?: string
}

type Reply = { status: number; json?: unknown; html?: string; headers?: Record<string, string> }
type Context = { params: Record<string, string>; query: URLSearchParams; body: unknown }
type RouteKind = 'api' | 'flow' | 'control'
type Route = {
  key: string
  kind: RouteKind
  method: string
  regex: RegExp
  names: string[]
  handler: (ctx: Context) => Reply | Promise<Reply>
}
type ActiveFault = AlignEmulatorFault & { remaining: number }
type CustomerRecord = { customer: AlignCustomer; documents: AlignCustomerDocument[] }
type LinkRecord = { token: string; customerId: string; expiresAt: number }

const DEFAULT_API_KEY = 'emulator-api-key'
const DAY_MS = 24 * 60 * 60 * 1000

/** Rails reported in `status_breakdown`, each carrying the customer's status. */
const RAILS: readonly { currency: string; payment_rails: string }[] = [
  { currency: 'usd', payment_rails: 'ach' },
  { currency: 'usd', payment_rails: 'wire' },
  { currency: 'eur', payment_rails: 'sepa' },
]

/** Hosted-flow actions: allowed source statuses and the resulting state. */
const FLOW_ACTIONS: Record<string, { from: readonly string[]; to: AlignEmulatorKycState; label: string }> = {
  start: {
    from: ['not_started', 'rejected'],
    to: { status: 'pending', sub_status: 'kyc_form_submission_started' },
    label: 'Start verification',
  },
  submit: {
    from: ['pending'],
    to: { status: 'pending', sub_status: 'kyc_form_submission_started' },
    label: 'Submit documents',
  },
  approve: {
    from: ['pending'],
    to: { status: 'approved', sub_status: 'kyc_form_submission_accepted' },
    label: 'Approve (reviewer)',
  },
  resubmit: {
    from: ['pending'],
    to: { status: 'rejected', sub_status: 'kyc_form_resubmission_required' },
    label: 'Request resubmission (reviewer)',
  },
}

/**
 * The Align emulator. `start()` it, point an `AlignClient` at `url` with `apiKey`, `stop()` it.
 * All state is in memory and per instance, and kept in `stateFile` when one is given.
 */
export class AlignEmulator {
  /** The key clients must send, and the webhook signing key. */
  readonly apiKey: string
  readonly #host: string
  readonly #port: number
  readonly #linkTtlMs: number
  readonly #defaultLatencyMs: number
  readonly #statusOnLinkCreation: AlignEmulatorKycState | undefined
  readonly #webhookAttempts: number
  readonly #webhookBaseDelayMs: number
  readonly #logger: AlignEmulatorLogger | undefined
  readonly #stateFile: string | undefined
  /** The save in progress (settled when none is); it never rejects. */
  #saving: Promise<void> = Promise.resolve()
  /** The save queued behind it, not started yet: every change made until it starts waits for it. */
  #nextSave: Promise<void> | null = null
  readonly #routes: Route[] = []
  readonly #server: http.Server
  #url: string | undefined

  #customers = new Map<string, CustomerRecord>()
  #links = new Map<string, LinkRecord>()
  #webhooks = new Map<string, AlignWebhook>()
  #faults: ActiveFault[] = []
  #latencyMs: number
  #routeLatency = new Map<string, number>()
  #calls: Record<string, number> = {}
  #deliveries: AlignEmulatorWebhookDelivery[] = []

  // Webhook retry bookkeeping, so stop()/reset() can cancel everything and tests can wait.
  readonly #timers = new Map<NodeJS.Timeout, () => void>()
  readonly #outgoing = new Set<http.ClientRequest>()
  #outstanding = 0
  #idleWaiters: (() => void)[] = []
  #generation = 0

  constructor(options: AlignEmulatorOptions = {}) {
    this.apiKey = options.apiKey ?? DEFAULT_API_KEY
    this.#host = options.host ?? '127.0.0.1'
    this.#port = options.port ?? 0
    this.#linkTtlMs = options.linkTtlMs ?? DAY_MS
    this.#defaultLatencyMs = options.latencyMs ?? 0
    this.#latencyMs = this.#defaultLatencyMs
    this.#statusOnLinkCreation = options.statusOnLinkCreation
    this.#webhookAttempts = Math.max(1, options.webhookRetry?.attempts ?? 5)
    this.#webhookBaseDelayMs = options.webhookRetry?.baseDelayMs ?? 500
    this.#logger = options.logger
    this.#stateFile = options.stateFile
    this.#defineRoutes()
    this.#server = http.createServer((req, res) => {
      this.#dispatch(req, res).catch((error: unknown) => {
        this.#logger?.warn('emulator handler failed', { error: String(error) })
        if (!res.headersSent && !res.destroyed)
          send(res, { status: 500, json: { message: 'Emulator failure', code: 'internal_error' } })
      })
    })
  }

  /** Base URL once started, e.g. `http://127.0.0.1:4010`. Throws before `start()`. */
  get url(): string {
    if (!this.#url) throw new Error('AlignEmulator is not started')
    return this.#url
  }

  /** Every route key (`'METHOD /pattern'`) the emulator serves outside `/__control`, for faults and latency. */
  get routes(): string[] {
    return this.#routes.filter((r) => r.kind !== 'control').map((r) => r.key)
  }

  /** Starts listening; resolves with the base URL. */
  async start(): Promise<{ url: string }> {
    if (this.#url) throw new Error('AlignEmulator is already started')
    const saved = this.#stateFile ? await this.#readState(this.#stateFile) : null
    if (saved) this.#load(saved)
    const listen = (port: number) =>
      new Promise<void>((resolve, reject) => {
        this.#server.once('error', reject)
        this.#server.listen(port, this.#host, () => {
          this.#server.off('error', reject)
          resolve()
        })
      })
    if (this.#port === 0 && saved?.port) {
      // The links handed out before name this port: take it again if it is free.
      await listen(saved.port).catch(async () => {
        this.#logger?.warn(
          'emulator port from the state file is taken; links issued before now will not open',
          {
            port: saved.port,
          },
        )
        await listen(0)
      })
    } else {
      await listen(this.#port)
    }
    const { port } = this.#server.address() as AddressInfo
    const host = this.#host.includes(':') ? `[${this.#host}]` : this.#host
    this.#url = `http://${host}:${port}`
    this.#logger?.info('Align emulator listening', { url: this.#url })
    return { url: this.#url }
  }

  /** Closes the server and every connection (including hung ones), and cancels pending webhook retries. */
  async stop(): Promise<void> {
    this.#cancelDeliveries()
    await this.#nextSave?.catch(() => undefined)
    await this.#saving
    if (!this.#server.listening) return
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    this.#server.closeAllConnections()
    await closed
    this.#url = undefined
  }

  /** Customers, links and webhook registrations (what `stateFile` keeps), as plain JSON. */
  snapshot(): AlignEmulatorState {
    const address = this.#server.address()
    return {
      version: 1,
      port: address && typeof address === 'object' ? address.port : null,
      customers: [...this.#customers.values()],
      links: [...this.#links.values()],
      webhooks: [...this.#webhooks.values()],
    }
  }

  /** Replaces customers, links and webhook registrations with a snapshot's (and saves them). */
  restore(state: AlignEmulatorState): void {
    this.#load(state)
    this.#persistInBackground()
  }

  #load(state: AlignEmulatorState): void {
    if (state.version !== 1) throw new Error(`unsupported emulator state version ${String(state.version)}`)
    this.#customers = new Map(state.customers.map((c) => [c.customer.customer_id, c]))
    this.#links = new Map(state.links.map((l) => [l.token, l]))
    this.#webhooks = new Map(state.webhooks.map((w) => [w.id, w]))
  }

  async #readState(file: string): Promise<AlignEmulatorState | null> {
    try {
      return JSON.parse(await readFile(file, 'utf8')) as AlignEmulatorState
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.#logger?.warn('emulator state file unreadable; starting empty', { file, error: String(e) })
      }
      return null
    }
  }

  /**
   * Resolves once the state as it is now is durable in the state file (rejects if that save fails).
   * Saves run one at a time and each writes a snapshot taken when it starts, so every change made
   * while one runs shares the next: a burst of N changes costs two saves, not N, and each answer
   * waits for the first save that started after its change.
   */
  #persist(): Promise<void> {
    const file = this.#stateFile
    if (!file) return Promise.resolve()
    this.#nextSave ??= this.#saving.then(() => {
      this.#nextSave = null
      const save = this.#save(file)
      this.#saving = save.catch(() => undefined)
      return save
    })
    return this.#nextSave
  }

  /** For changes made through in-process methods, which answer nobody: a failure is only logged. */
  #persistInBackground(): void {
    this.#persist().catch(() => undefined)
  }

  async #save(file: string): Promise<void> {
    const state = JSON.stringify(this.snapshot())
    try {
      await writeFileDurably(file, state)
    } catch (e) {
      this.#logger?.warn('emulator state not saved', { file, error: String(e) })
      throw e
    }
  }

  /** Forgets customers, links, webhooks, faults, latency, calls and deliveries; cancels pending retries. */
  reset(): void {
    this.#cancelDeliveries()
    this.#customers.clear()
    this.#links.clear()
    this.#webhooks.clear()
    this.#faults = []
    this.#latencyMs = this.#defaultLatencyMs
    this.#routeLatency.clear()
    this.#calls = {}
    this.#deliveries = []
    this.#persistInBackground()
  }

  /** A copy of the customer as `GET /v0/customers/{id}` would return it. */
  getCustomer(customerId: string): AlignCustomer | undefined {
    const record = this.#customers.get(customerId)
    return record ? structuredClone(record.customer) : undefined
  }

  /**
   * Sets a customer's KYC state (status_breakdown follows). With `deliverWebhook: true` a signed
   * `customer.kycs.updated` goes to every registered webhook, with retries; default: no webhook.
   */
  setKycState(
    customerId: string,
    state: AlignEmulatorKycState,
    options: { deliverWebhook?: boolean } = {},
  ): void {
    if (!this.#customers.has(customerId)) throw new Error(`Unknown customer ${customerId}`)
    this.#applyKycState(customerId, state, options.deliverWebhook ?? false)
    this.#persistInBackground()
  }

  /** Makes every live link of the customer expire now (the flow page then answers 410). */
  expireLinks(customerId: string): number {
    let count = 0
    const now = Date.now()
    for (const link of this.#links.values()) {
      if (link.customerId === customerId && link.expiresAt > now) {
        link.expiresAt = now
        count++
      }
    }
    if (count) this.#persistInBackground()
    return count
  }

  /**
   * Delivers one webhook now (one attempt per target, no retry) and returns each receiver's status
   * in target order; 0 when the receiver could not be reached.
   */
  async sendWebhook(input: AlignEmulatorSendWebhookInput): Promise<{ status: number }[]> {
    const body = JSON.stringify({
      event_type: input.eventType ?? 'customer.kycs.updated',
      entity_id: input.customerId,
      entity_type: 'customer',
      created_at: input.createdAt ?? new Date().toISOString(),
    })
    const signature = signWebhookBody(body, input.badSignature ? `not-${this.apiKey}` : this.apiKey)
    const targets = input.url ? [input.url] : [...this.#webhooks.values()].map((w) => w.url)
    return Promise.all(
      targets.map(async (url) => {
        const status = await this.#post(url, body, signature)
        this.#deliveries.push({ url, status, attempt: 1, body })
        return { status: status ?? 0 }
      }),
    )
  }

  /** Injects a fault on a route (see {@link AlignEmulatorFaultKind}). Throws on an unknown route key. */
  injectFault(fault: AlignEmulatorFault): void {
    this.#assertRoute(fault.route)
    if (!['5xx', 'timeout', 'reset', 'malformed', 'succeed-then-500'].includes(fault.kind)) {
      throw new Error(`Unknown fault kind ${String(fault.kind)}`)
    }
    this.#faults.push({ ...fault, remaining: fault.times ?? Number.POSITIVE_INFINITY })
  }

  /** Removes every fault. */
  clearFaults(): void {
    this.#faults = []
  }

  /** Adds `ms` of latency to one route, or to every Align route when `route` is omitted. */
  setLatency(ms: number, route?: string): void {
    if (route === undefined) {
      this.#latencyMs = ms
      return
    }
    this.#assertRoute(route)
    this.#routeLatency.set(route, ms)
  }

  /** Calls per route key since the last reset, e.g. `{ 'POST /v0/customers': 1 }`. Control routes are not counted. */
  calls(): Record<string, number> {
    return { ...this.#calls }
  }

  /** Zeroes the call counters. */
  resetCalls(): void {
    this.#calls = {}
  }

  /** Log of every webhook delivery attempt, oldest first. */
  webhookDeliveries(): AlignEmulatorWebhookDelivery[] {
    return this.#deliveries.map((d) => ({ ...d }))
  }

  /** Resolves once no webhook delivery is in flight or waiting for a retry. */
  async webhooksSettled(): Promise<void> {
    if (this.#outstanding === 0) return
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve))
  }

  // ---------------------------------------------------------------- routing

  #route(kind: RouteKind, key: string, handler: Route['handler']): void {
    const [method, pattern] = key.split(' ') as [string, string]
    const names: string[] = []
    const source = pattern
      .split('/')
      .map((segment) => {
        if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        names.push(segment.slice(1))
        return '([^/]+)'
      })
      .join('/')
    this.#routes.push({ key, kind, method, regex: new RegExp(`^${source}/?$`), names, handler })
  }

  #assertRoute(route: string): void {
    if (!this.routes.includes(route))
      throw new Error(`Unknown route ${route}; known: ${this.routes.join(', ')}`)
  }

  async #dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid')
    const method = req.method ?? 'GET'
    let matched: { route: Route; params: Record<string, string> } | undefined
    for (const route of this.#routes) {
      if (route.method !== method) continue
      const m = route.regex.exec(url.pathname)
      if (!m) continue
      const params: Record<string, string> = {}
      try {
        route.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1] ?? '')))
      } catch {
        continue
      }
      matched = { route, params }
      break
    }
    const rawBody = await readBody(req)
    if (!matched)
      return send(res, {
        status: 404,
        json: { message: `No route ${method} ${url.pathname}`, code: 'route_not_found' },
      })
    const { route, params } = matched

    let succeedThen500 = false
    if (route.kind !== 'control') {
      this.#calls[route.key] = (this.#calls[route.key] ?? 0) + 1
      const latency = this.#routeLatency.get(route.key) ?? this.#latencyMs
      if (latency > 0 && !(await this.#wait(latency))) return
      const fault = this.#takeFault(route.key)
      if (fault) {
        this.#logger?.info('emulator fault', { route: route.key, kind: fault.kind })
        switch (fault.kind) {
          case 'timeout':
            return // never answer; stop() closes the connection
          case 'reset':
            req.socket.destroy()
            return
          case 'malformed':
            res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': requestId() })
            res.end('{"customer_id": "cus_trunc')
            return
          case '5xx':
            return send(res, {
              status: fault.status ?? 500,
              json: { message: 'Injected fault', code: 'injected_fault' },
              headers: fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter },
            })
          case 'succeed-then-500':
            succeedThen500 = true
        }
      }
    }

    if (route.kind === 'api' && req.headers.authorization !== this.apiKey) {
      return send(res, { status: 401, json: { message: 'Invalid or missing API key', code: 'unauthorized' } })
    }
    let body: unknown = undefined
    if (route.kind !== 'flow' && rawBody.trim() !== '') {
      try {
        body = JSON.parse(rawBody)
      } catch {
        return send(res, { status: 400, json: { message: 'Body is not valid JSON', code: 'invalid_json' } })
      }
    }
    const reply = await route.handler({ params, query: url.searchParams, body })
    // Nothing is acknowledged before it is on disk (a crash must not lose what a client was told).
    if (method !== 'GET' && reply.status < 400) {
      const saved = await this.#persist().then(
        () => true,
        () => false,
      )
      if (!saved)
        return send(res, {
          status: 503,
          json: { message: 'Emulator could not save its state', code: 'state_not_saved' },
        })
    }
    if (succeedThen500)
      return send(res, {
        status: 500,
        json: { message: 'Injected fault after success', code: 'injected_fault' },
      })
    send(res, reply)
  }

  #takeFault(routeKey: string): ActiveFault | undefined {
    const fault = this.#faults.find((f) => f.route === routeKey && f.remaining > 0)
    if (!fault) return undefined
    fault.remaining--
    if (fault.remaining <= 0) this.#faults = this.#faults.filter((f) => f !== fault)
    return fault
  }

  #defineRoutes(): void {
    // Align API
    this.#route('api', 'POST /v0/customers/simulate', ({ body }) => this.#simulate(body))
    this.#route('api', 'POST /v0/customers', ({ body }) => this.#createCustomer(body))
    this.#route('api', 'GET /v0/customers', ({ query }) => {
      const email = query.get('email')?.toLowerCase()
      const items = [...this.#customers.values()]
        .filter((r) => email === undefined || r.customer.email.toLowerCase() === email)
        .map((r) => r.customer)
      return { status: 200, json: { items } }
    })
    this.#route('api', 'GET /v0/customers/:id', ({ params }) => {
      const record = this.#customers.get(params['id'] ?? '')
      return record ? { status: 200, json: record.customer } : notFound('Customer')
    })
    this.#route('api', 'PUT /v0/customers/:id', ({ params, body }) =>
      this.#updateCustomer(params['id'] ?? '', body),
    )
    this.#route('api', 'POST /v0/customers/:id/kycs', ({ params }) =>
      this.#createKycSession(params['id'] ?? ''),
    )
    this.#route('api', 'POST /v0/webhooks', ({ body }) => {
      const parsed = createWebhookSchema.safeParse(body)
      if (!parsed.success) return invalid('webhook', parsed.error)
      const webhook: AlignWebhook = {
        id: randomUUID(),
        url: parsed.data.url,
        created_at: new Date().toISOString(),
      }
      this.#webhooks.set(webhook.id, webhook)
      return { status: 200, json: webhook }
    })
    this.#route('api', 'GET /v0/webhooks', () => ({
      status: 200,
      json: { items: [...this.#webhooks.values()] },
    }))
    this.#route('api', 'DELETE /v0/webhooks/:id', ({ params }) =>
      this.#webhooks.delete(params['id'] ?? '') ? { status: 200, json: {} } : notFound('Webhook'),
    )

    // Hosted KYC flow
    this.#route('flow', 'GET /flow/:token', ({ params }) => this.#flowPage(params['token'] ?? ''))
    this.#route('flow', 'POST /flow/:token/:action', ({ params }) =>
      this.#flowAction(params['token'] ?? '', params['action'] ?? ''),
    )

    // Control API (no auth; emulator only)
    this.#route('control', 'POST /__control/reset', () => (this.reset(), { status: 200, json: {} }))
    this.#route('control', 'GET /__control/calls', () => ({ status: 200, json: this.calls() }))
    this.#route('control', 'DELETE /__control/calls', () => (this.resetCalls(), { status: 200, json: {} }))
    this.#route('control', 'POST /__control/faults', ({ body }) =>
      control(() => this.injectFault(faultSchema.parse(body) as AlignEmulatorFault)),
    )
    this.#route('control', 'DELETE /__control/faults', () => (this.clearFaults(), { status: 200, json: {} }))
    this.#route('control', 'POST /__control/latency', ({ body }) =>
      control(() => {
        const { ms, route } = latencySchema.parse(body)
        this.setLatency(ms, route)
      }),
    )
    this.#route('control', 'GET /__control/customers/:id', ({ params }) => {
      const customer = this.getCustomer(params['id'] ?? '')
      return customer ? { status: 200, json: customer } : notFound('Customer')
    })
    this.#route('control', 'PUT /__control/customers/:id/kyc', ({ params, body }) => {
      if (!this.#customers.has(params['id'] ?? '')) return notFound('Customer')
      return control(() => {
        const { deliverWebhook, ...state } = kycStateSchema.parse(body)
        this.setKycState(params['id'] ?? '', state, { deliverWebhook })
        return this.getCustomer(params['id'] ?? '')
      })
    })
    this.#route('control', 'POST /__control/customers/:id/expire-links', ({ params }) => ({
      status: 200,
      json: { expired: this.expireLinks(params['id'] ?? '') },
    }))
    this.#route('control', 'POST /__control/webhooks/send', async ({ body }) => {
      const parsed = sendWebhookSchema.safeParse(body)
      if (!parsed.success) return invalid('webhook send', parsed.error)
      return { status: 200, json: { results: await this.sendWebhook(parsed.data) } }
    })
    this.#route('control', 'GET /__control/webhooks/deliveries', () => ({
      status: 200,
      json: { items: this.webhookDeliveries() },
    }))
  }

  // ---------------------------------------------------------------- Align behaviour

  #createCustomer(body: unknown): Reply {
    const parsed = createCustomerSchema.safeParse(body)
    if (!parsed.success) return invalid('customer', parsed.error)
    const input = parsed.data
    const email = input.email.toLowerCase()
    for (const record of this.#customers.values()) {
      if (record.customer.email.toLowerCase() === email) {
        return {
          status: 409,
          json: { message: 'A customer with this email already exists', code: 'customer_already_exists' },
        }
      }
    }
    const customer: AlignCustomer = {
      customer_id: randomUUID(),
      email: input.email,
      type: input.type,
      ...(input.first_name === undefined ? {} : { first_name: input.first_name }),
      ...(input.last_name === undefined ? {} : { last_name: input.last_name }),
      ...(input.company_name === undefined ? {} : { company_name: input.company_name }),
    }
    this.#customers.set(customer.customer_id, { customer, documents: [] })
    return { status: 200, json: customer }
  }

  #updateCustomer(id: string, body: unknown): Reply {
    const record = this.#customers.get(id)
    if (!record) return notFound('Customer')
    const parsed = updateCustomerSchema.safeParse(body)
    if (!parsed.success) return invalid('customer update', parsed.error)
    record.documents.push(...(parsed.data.documents as AlignCustomerDocument[]))
    return { status: 200, json: record.customer }
  }

  #createKycSession(id: string): Reply {
    const record = this.#customers.get(id)
    if (!record) return notFound('Customer')
    const token = randomBytes(16).toString('hex')
    this.#links.set(token, { token, customerId: id, expiresAt: Date.now() + this.#linkTtlMs })
    const link = `${this.url}/flow/${token}`
    const current = record.customer.kycs ?? { status: 'not_started', sub_status: null }
    const moved = this.#statusOnLinkCreation
    const kycs = moved && current.status !== 'approved' ? { ...current, ...moved } : current
    record.customer.kycs = { ...kycs, kyc_flow_link: link, status_breakdown: breakdown(kycs.status) }
    return { status: 200, json: { kycs: { kyc_flow_link: link } } }
  }

  #simulate(body: unknown): Reply {
    const parsed = simulateCustomerSchema.safeParse(body)
    if (!parsed.success) return invalid('simulation', parsed.error)
    if (parsed.data.action !== 'kyc.status.approve') {
      return {
        status: 400,
        json: { message: `Unsupported action ${parsed.data.action}`, code: 'validation_error' },
      }
    }
    if (!this.#customers.has(parsed.data.customer_id)) return notFound('Customer')
    this.#applyKycState(parsed.data.customer_id, FLOW_ACTIONS['approve']!.to, true)
    return { status: 200, json: {} }
  }

  #applyKycState(customerId: string, state: AlignEmulatorKycState, deliver: boolean): void {
    const record = this.#customers.get(customerId)
    if (!record) return
    record.customer.kycs = {
      kyc_flow_link: record.customer.kycs?.kyc_flow_link ?? null,
      status: state.status,
      sub_status: state.sub_status,
      status_breakdown: breakdown(state.status),
    }
    if (deliver) this.#deliverEvent(customerId)
  }

  #linkState(token: string): { link: LinkRecord; record: CustomerRecord } | Reply {
    const link = this.#links.get(token)
    const record = link && this.#customers.get(link.customerId)
    if (!link || !record)
      return { status: 404, html: page('Link not found', '<p>This verification link does not exist.</p>') }
    if (Date.now() >= link.expiresAt) {
      return {
        status: 410,
        html: page(
          'Link expired',
          '<p>This verification link has expired. Ask the service that sent you here for a new link.</p>',
        ),
      }
    }
    return { link, record }
  }

  #flowPage(token: string): Reply {
    const state = this.#linkState(token)
    if ('status' in state) return state
    const kycs = state.record.customer.kycs
    const status = kycs?.status ?? 'not_started'
    const buttons = Object.entries(FLOW_ACTIONS)
      .filter(([, action]) => action.from.includes(status))
      .map(
        ([name, action]) =>
          `<form method="post" action="/flow/${escapeHtml(token)}/${name}"><button type="submit" name="action" value="${name}">${escapeHtml(action.label)}</button></form>`,
      )
      .join('\n')
    return {
      status: 200,
      html: page(
        'Identity verification',
        `<p>Customer: ${escapeHtml(state.record.customer.email)}</p>
<p>Status: <strong id="status">${escapeHtml(status)}</strong> / <span id="sub-status">${escapeHtml(kycs?.sub_status ?? 'none')}</span></p>
<p>Link expires at ${new Date(state.link.expiresAt).toISOString()}</p>
${buttons || '<p>Nothing to do.</p>'}`,
      ),
    }
  }

  #flowAction(token: string, actionName: string): Reply {
    const state = this.#linkState(token)
    if ('status' in state) return state
    const action = FLOW_ACTIONS[actionName]
    if (!action)
      return { status: 404, html: page('Unknown action', `<p>Unknown action ${escapeHtml(actionName)}.</p>`) }
    const status = state.record.customer.kycs?.status ?? 'not_started'
    if (!action.from.includes(status)) {
      return {
        status: 409,
        html: page('Not allowed', `<p>Cannot ${escapeHtml(actionName)} while ${escapeHtml(status)}.</p>`),
      }
    }
    this.#applyKycState(state.link.customerId, action.to, true)
    return { status: 303, headers: { location: `/flow/${token}` }, html: page('Saved', '<p>Saved.</p>') }
  }

  // ---------------------------------------------------------------- webhooks

  #deliverEvent(customerId: string): void {
    const body = JSON.stringify({
      event_type: 'customer.kycs.updated',
      entity_id: customerId,
      entity_type: 'customer',
      created_at: new Date().toISOString(),
    })
    for (const webhook of this.#webhooks.values()) void this.#deliverWithRetry(webhook.url, body)
  }

  async #deliverWithRetry(url: string, body: string): Promise<void> {
    const generation = this.#generation
    const signature = signWebhookBody(body, this.apiKey)
    // The receiver reads the change back: it must be durable first (the same save as the answer's).
    const saved = this.#persist().catch(() => undefined)
    this.#outstanding++
    try {
      await saved
      for (let attempt = 1; attempt <= this.#webhookAttempts; attempt++) {
        const status = await this.#post(url, body, signature)
        if (generation !== this.#generation) return
        this.#deliveries.push({ url, status, attempt, body })
        if (status !== null && status >= 200 && status < 300) {
          this.#logger?.info('webhook delivered', { url, status, attempt })
          return
        }
        this.#logger?.warn('webhook delivery failed', { url, status, attempt })
        if (
          attempt < this.#webhookAttempts &&
          !(await this.#wait(this.#webhookBaseDelayMs * 2 ** (attempt - 1)))
        )
          return
      }
      this.#logger?.warn('webhook delivery gave up', { url, attempts: this.#webhookAttempts })
    } finally {
      this.#outstanding--
      if (this.#outstanding === 0) {
        const waiters = this.#idleWaiters
        this.#idleWaiters = []
        waiters.forEach((resolve) => resolve())
      }
    }
  }

  /** POSTs one webhook; resolves with the status, or null when the receiver was unreachable. */
  #post(url: string, body: string, signature: string): Promise<number | null> {
    return new Promise((resolve) => {
      let target: URL
      try {
        target = new URL(url)
      } catch {
        return resolve(null)
      }
      const request = (target.protocol === 'https:' ? https : http).request(
        target,
        {
          method: 'POST',
          agent: false,
          timeout: 5_000,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'x-hmac-signature': signature,
            'user-agent': 'align-emulator',
          },
        },
        (response) => {
          response.resume()
          response.on('end', () => resolve(response.statusCode ?? null))
          response.on('error', () => resolve(response.statusCode ?? null))
        },
      )
      this.#outgoing.add(request)
      request.on('close', () => this.#outgoing.delete(request))
      request.on('timeout', () => request.destroy())
      request.on('error', () => resolve(null))
      request.end(body)
    })
  }

  /** A cancellable timer: resolves true when it fires, false when stop()/reset() cancels it. */
  #wait(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer)
        resolve(true)
      }, ms)
      this.#timers.set(timer, () => resolve(false))
    })
  }

  #cancelDeliveries(): void {
    this.#generation++
    for (const [timer, cancel] of this.#timers) {
      clearTimeout(timer)
      cancel()
    }
    this.#timers.clear()
    for (const request of this.#outgoing) request.destroy()
    this.#outgoing.clear()
  }
}

// ------------------------------------------------------------------ helpers

/**
 * Replaces `file` with `data` so that after a crash or a power loss it holds either the old or the
 * new content, whole: a temporary file is written and fsynced, renamed over `file`, and the
 * directory fsynced so that the rename itself is on disk. (write-file-atomic, which is installed,
 * does not fsync the directory.) One save runs at a time, so one temporary name is enough.
 */
async function writeFileDurably(file: string, data: string): Promise<void> {
  const dir = path.dirname(file)
  await mkdir(dir, { recursive: true })
  const tmp = `${file}.tmp`
  const handle = await open(tmp, 'w')
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(tmp, file)
  // Windows cannot open a directory; its rename is as durable as NTFS makes it.
  if (process.platform === 'win32') return
  const dirHandle = await open(dir, 'r')
  try {
    await dirHandle.sync()
  } finally {
    await dirHandle.close()
  }
}

const faultSchema = z.object({
  route: z.string(),
  kind: z.enum(['5xx', 'timeout', 'reset', 'malformed', 'succeed-then-500']),
  status: z.number().int().min(100).max(599).optional(),
  times: z.number().int().positive().optional(),
  retryAfter: z.string().optional(),
})
const latencySchema = z.object({ ms: z.number().min(0), route: z.string().optional() })
const kycStateSchema = z.object({
  status: z.string().min(1),
  sub_status: z.string().nullable(),
  deliverWebhook: z.boolean().optional(),
})
const sendWebhookSchema = z.object({
  customerId: z.string().min(1),
  url: z.string().optional(),
  badSignature: z.boolean().optional(),
  createdAt: z.string().optional(),
  eventType: z.string().optional(),
})

function control(fn: () => unknown): Reply {
  try {
    const result = fn()
    return { status: 200, json: result ?? {} }
  } catch (error) {
    const message =
      error instanceof z.ZodError
        ? toIssues(error)
            .map((i) => `${i.path}: ${i.message}`)
            .join('; ')
        : String((error as Error).message ?? error)
    return { status: 400, json: { message, code: 'validation_error' } }
  }
}

function breakdown(status: string): { currency: string; payment_rails: string; status: string }[] {
  return RAILS.map((rail) => ({ ...rail, status }))
}

function notFound(what: string): Reply {
  return { status: 404, json: { message: `${what} not found`, code: 'not_found' } }
}

function invalid(what: string, error: z.ZodError): Reply {
  const issues = toIssues(error)
  return {
    status: 400,
    json: {
      message: `Invalid ${what}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`,
      code: 'validation_error',
    },
  }
}

function requestId(): string {
  return `req_${randomBytes(8).toString('hex')}`
}

function send(res: http.ServerResponse, reply: Reply): void {
  if (res.destroyed) return
  const headers: Record<string, string> = { 'x-request-id': requestId(), ...reply.headers }
  let payload = ''
  if (reply.html !== undefined) {
    headers['content-type'] = 'text/html; charset=utf-8'
    payload = reply.html
  } else if (reply.json !== undefined) {
    headers['content-type'] = 'application/json'
    payload = JSON.stringify(reply.json)
  }
  headers['content-length'] = String(Buffer.byteLength(payload))
  res.writeHead(reply.status, headers)
  res.end(payload)
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', () => resolve(''))
  })
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function page(title: string, content: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · Align (emulator)</title></head>
<body><h1>${escapeHtml(title)}</h1>
${content}
</body></html>
`
}
