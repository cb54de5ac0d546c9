/**
 * An in-memory Align over real HTTP (node:http), for local mode and tests.
 *
 * Implements every route the client uses with Align's validation, `{message, code}` errors and
 * raw-key auth, plus the hosted KYC flow at each `kyc_flow_link`, KYC-gated virtual accounts, signed
 * `customer.kycs.updated` and `virtual_account.created` webhooks with bounded retries (and a hold),
 * link expiry, and a control surface (in-process methods and unauthenticated `/__control/...` HTTP
 * routes) to set state, send webhooks and inject faults.
 *
 * This class wires the parts in `./emulator/` together and owns the request pipeline (latency,
 * faults, auth, handler, save before answering):
 * `align-routes` (Align's API), `virtual-accounts` (its virtual-account routes), `hosted-flow` (HTML pages), `control-routes` (`/__control`),
 * `store` (state), `state-file` (durable saves), `webhook-sender`, `faults`, `router`, `http`.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AlignCreateVirtualAccountParams, AlignCustomer, AlignVirtualAccount } from '../types.js'
import { alignRoutes } from './emulator/align-routes.js'
import { controlRoutes } from './emulator/control-routes.js'
import { actOutFault, actOutFaultAfter, Faults, type AlignEmulatorFault } from './emulator/faults.js'
import { hostedFlowRoutes } from './emulator/hosted-flow.js'
import { alignError, readBody, send } from './emulator/http.js'
import {
  resolveOptions,
  type AlignEmulatorOptions,
  type ResolvedEmulatorOptions,
} from './emulator/options.js'
import { Router } from './emulator/router.js'
import { StateFile } from './emulator/state-file.js'
import { EmulatorStore, type AlignEmulatorKycState, type AlignEmulatorState } from './emulator/store.js'
import { CancellableTimers } from './emulator/timers.js'
import { openVirtualAccount, virtualAccountRoutes } from './emulator/virtual-accounts.js'
import {
  WebhookSender,
  type AlignEmulatorHeldWebhook,
  type AlignEmulatorSendWebhookInput,
  type AlignEmulatorWebhookDelivery,
  type WebhookEvent,
} from './emulator/webhook-sender.js'

export type { AlignEmulatorFault, AlignEmulatorFaultKind } from './emulator/faults.js'
export type { AlignEmulatorLogger, AlignEmulatorOptions } from './emulator/options.js'
export type { AlignEmulatorKycState, AlignEmulatorState } from './emulator/store.js'
export type {
  AlignEmulatorHeldWebhook,
  AlignEmulatorSendWebhookInput,
  AlignEmulatorWebhookDelivery,
} from './emulator/webhook-sender.js'

/**
 * The Align emulator. `start()` it, point an `AlignClient` at `url` with `apiKey`, `stop()` it.
 * All state is in memory and per instance, and kept in `stateFile` when one is given.
 */
export class AlignEmulator {
  /** The key clients must send, and the webhook signing key. */
  readonly apiKey: string
  readonly #options: ResolvedEmulatorOptions
  readonly #store = new EmulatorStore()
  readonly #stateFile: StateFile
  readonly #timers = new CancellableTimers()
  readonly #webhooks: WebhookSender
  readonly #faults = new Faults()
  readonly #router: Router
  readonly #server: http.Server
  #url: string | undefined

  #latencyMs: number
  #routeLatency = new Map<string, number>()
  #calls: Record<string, number> = {}

  constructor(options: AlignEmulatorOptions = {}) {
    this.#options = resolveOptions(options)
    this.apiKey = this.#options.apiKey
    this.#latencyMs = this.#options.latencyMs
    this.#stateFile = new StateFile(this.#options.stateFile, () => this.snapshot(), this.#options.logger)
    this.#webhooks = new WebhookSender({
      apiKey: this.apiKey,
      attempts: this.#options.webhookAttempts,
      baseDelayMs: this.#options.webhookBaseDelayMs,
      logger: this.#options.logger,
      timers: this.#timers,
      beforeDelivery: () => this.#stateFile.persist(),
    })
    const changeKycState = (customerId: string, state: AlignEmulatorKycState) =>
      this.#applyKycState(customerId, state, true)
    this.#router = new Router([
      ...alignRoutes({ store: this.#store, options: this.#options, url: () => this.url, changeKycState }),
      ...virtualAccountRoutes(this.#virtualAccountsContext()),
      ...hostedFlowRoutes({ store: this.#store, changeKycState }),
      ...controlRoutes(this),
    ])
    this.#server = http.createServer((req, res) => {
      this.#dispatch(req, res).catch((error: unknown) => {
        this.#options.logger?.warn('emulator handler failed', { error: String(error) })
        if (!res.headersSent && !res.destroyed)
          send(res, alignError(500, 'Emulator failure', 'internal_error'))
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
    return this.#router.keys
  }

  /** Starts listening; resolves with the base URL. */
  async start(): Promise<{ url: string }> {
    if (this.#url) throw new Error('AlignEmulator is already started')
    const { host, port: configuredPort, logger } = this.#options
    const saved = await this.#stateFile.read()
    if (saved) this.#store.load(saved)
    const listen = (port: number) =>
      new Promise<void>((resolve, reject) => {
        this.#server.once('error', reject)
        this.#server.listen(port, host, () => {
          this.#server.off('error', reject)
          resolve()
        })
      })
    if (configuredPort === 0 && saved?.port) {
      // The links handed out before name this port: take it again if it is free.
      await listen(saved.port).catch(async () => {
        logger?.warn('emulator port from the state file is taken; links issued before now will not open', {
          port: saved.port,
        })
        await listen(0)
      })
    } else {
      await listen(configuredPort)
    }
    const { port } = this.#server.address() as AddressInfo
    this.#url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
    logger?.info('Align emulator listening', { url: this.#url })
    return { url: this.#url }
  }

  /** Closes the server and every connection (including hung ones), and cancels pending webhook retries. */
  async stop(): Promise<void> {
    this.#cancelPending()
    await this.#stateFile.settled()
    if (!this.#server.listening) return
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    this.#server.closeAllConnections()
    await closed
    this.#url = undefined
  }

  /** Customers, links, webhook registrations and virtual accounts (what `stateFile` keeps), as plain JSON. */
  snapshot(): AlignEmulatorState {
    const address = this.#server.address()
    return this.#store.snapshot(address && typeof address === 'object' ? address.port : null)
  }

  /**
   * Replaces customers, links, webhook registrations and virtual accounts with a snapshot's (and
   * saves them); a snapshot without `virtualAccounts` (an older file) leaves none.
   */
  restore(state: AlignEmulatorState): void {
    this.#store.load(state)
    this.#stateFile.persistInBackground()
  }

  /**
   * Forgets customers, links, webhooks, virtual accounts, faults, latency, calls, deliveries and held
   * webhooks (and stops holding); cancels pending retries.
   */
  reset(): void {
    this.#cancelPending()
    this.#store.clear()
    this.#webhooks.clearHeld()
    this.#faults.clear()
    this.#latencyMs = this.#options.latencyMs
    this.#routeLatency.clear()
    this.#calls = {}
    this.#webhooks.clearDeliveries()
    this.#stateFile.persistInBackground()
  }

  /** A copy of the customer as `GET /v0/customers/{id}` would return it. */
  getCustomer(customerId: string): AlignCustomer | undefined {
    const record = this.#store.customers.get(customerId)
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
    if (!this.#store.customers.has(customerId)) throw new Error(`Unknown customer ${customerId}`)
    this.#applyKycState(customerId, state, options.deliverWebhook ?? false)
    this.#stateFile.persistInBackground()
  }

  /**
   * Opens a virtual account at "Align" as if someone else had asked for it (the service never did):
   * the same validation, duplicate check (409), 201/202 split and `virtual_account.created` webhook
   * as `POST /v0/customers/:id/virtual-account`, but without the KYC gate and not counted in
   * `calls()`. Returns the stored account (`pending` for AED and USD SWIFT). Throws on an unknown
   * customer, invalid parameters or a duplicate.
   */
  createVirtualAccount(customerId: string, params: AlignCreateVirtualAccountParams): AlignVirtualAccount {
    const reply = openVirtualAccount(this.#virtualAccountsContext(), customerId, params, {
      requireApprovedKyc: false,
    })
    if (reply.status >= 400) {
      const { message } = reply.json as { message: string }
      throw new Error(message)
    }
    const { id } = reply.json as { id: string }
    this.#stateFile.persistInBackground()
    return structuredClone(this.#store.virtualAccounts.get(id)!.account)
  }

  /** A copy of the account as `GET .../virtual-account/{id}` would return it. */
  getVirtualAccount(virtualAccountId: string): AlignVirtualAccount | undefined {
    const record = this.#store.virtualAccounts.get(virtualAccountId)
    return record ? structuredClone(record.account) : undefined
  }

  /** Copies of every virtual account (of one customer when given), oldest first. */
  virtualAccounts(customerId?: string): AlignVirtualAccount[] {
    return [...this.#store.virtualAccounts.values()]
      .filter((v) => customerId === undefined || v.customerId === customerId)
      .map((v) => structuredClone(v.account))
  }

  /**
   * Holds back (`hold: true`) every later event of `eventType` (e.g. `'virtual_account.created'`)
   * instead of delivering it; `heldWebhooks()` lists them. `hold: false` stops holding and delivers
   * the held ones as they were (same body, with retries), or drops them with `discard: true`.
   * Returns how many held events were delivered or dropped. `reset()` drops them and stops holding.
   */
  holdWebhooks(eventType: string, hold: boolean, options: { discard?: boolean } = {}): number {
    return this.#webhooks.hold(eventType, hold, options.discard ?? false)
  }

  /** Events held back by `holdWebhooks`, oldest first, with the URLs they were due to go to. */
  heldWebhooks(): AlignEmulatorHeldWebhook[] {
    return this.#webhooks.held()
  }

  /** Makes every live link of the customer expire now (the flow page then answers 410). */
  expireLinks(customerId: string): number {
    let count = 0
    const now = Date.now()
    for (const link of this.#store.links.values()) {
      if (link.customerId === customerId && link.expiresAt > now) {
        link.expiresAt = now
        count++
      }
    }
    if (count) this.#stateFile.persistInBackground()
    return count
  }

  /**
   * Delivers one webhook now (one attempt per target, no retry, never held) and returns each
   * receiver's status in target order; 0 when the receiver could not be reached. E.g.
   * `{ eventType: 'virtual_account.created', entityId: account.id }` (entity_type follows the event
   * type) or `{ customerId }` for `customer.kycs.updated`.
   */
  async sendWebhook(input: AlignEmulatorSendWebhookInput): Promise<{ status: number }[]> {
    return this.#webhooks.sendOnce(input, input.url ? [input.url] : this.#webhookUrls())
  }

  /** Injects a fault on a route (see `FAULT_KINDS`). Throws on an unknown route key or kind. */
  injectFault(fault: AlignEmulatorFault): void {
    this.#router.assertKnown(fault.route)
    this.#faults.add(fault)
  }

  /** Removes every fault. */
  clearFaults(): void {
    this.#faults.clear()
  }

  /** Adds `ms` of latency to one route, or to every Align route when `route` is omitted. */
  setLatency(ms: number, route?: string): void {
    if (route === undefined) {
      this.#latencyMs = ms
      return
    }
    this.#router.assertKnown(route)
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
    return this.#webhooks.deliveries()
  }

  /** Resolves once no webhook delivery is in flight or waiting for a retry. */
  webhooksSettled(): Promise<void> {
    return this.#webhooks.settled()
  }

  #webhookUrls(): string[] {
    return [...this.#store.webhooks.values()].map((w) => w.url)
  }

  #announce(event: WebhookEvent): void {
    this.#webhooks.deliver(event, this.#webhookUrls())
  }

  #virtualAccountsContext() {
    return { store: this.#store, options: this.#options, announce: (e: WebhookEvent) => this.#announce(e) }
  }

  #applyKycState(customerId: string, state: AlignEmulatorKycState, deliver: boolean): void {
    if (this.#store.setKycState(customerId, state) && deliver) {
      this.#announce({ eventType: 'customer.kycs.updated', entityId: customerId })
    }
  }

  /** Cancels latency waits, webhook retries and webhook requests in flight. */
  #cancelPending(): void {
    this.#webhooks.cancel()
    this.#timers.cancelAll()
  }

  async #dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid')
    const method = req.method ?? 'GET'
    const matched = this.#router.match(method, url.pathname)
    const rawBody = await readBody(req)
    if (!matched) return send(res, alignError(404, `No route ${method} ${url.pathname}`, 'route_not_found'))
    const { route, params } = matched

    let faultAfter: AlignEmulatorFault | undefined
    if (route.kind !== 'control') {
      this.#calls[route.key] = (this.#calls[route.key] ?? 0) + 1
      const latency = this.#routeLatency.get(route.key) ?? this.#latencyMs
      if (latency > 0 && !(await this.#timers.wait(latency))) return
      const fault = this.#faults.take(route.key)
      if (fault) {
        this.#options.logger?.info('emulator fault', { route: route.key, kind: fault.kind })
        if (actOutFault(fault, req, res) === 'answered') return
        faultAfter = fault
      }
    }

    if (route.kind === 'api' && req.headers.authorization !== this.apiKey) {
      return send(res, alignError(401, 'Invalid or missing API key', 'unauthorized'))
    }
    let body: unknown = undefined
    if (route.kind !== 'flow' && rawBody.trim() !== '') {
      try {
        body = JSON.parse(rawBody)
      } catch {
        return send(res, alignError(400, 'Body is not valid JSON', 'invalid_json'))
      }
    }
    const reply = await route.handler({ params, query: url.searchParams, body })
    // Nothing is acknowledged before it is on disk (a crash must not lose what a client was told).
    if (method !== 'GET' && reply.status < 400) {
      const saved = await this.#stateFile.persist().then(
        () => true,
        () => false,
      )
      if (!saved) return send(res, alignError(503, 'Emulator could not save its state', 'state_not_saved'))
    }
    if (faultAfter) return actOutFaultAfter(faultAfter, res)
    send(res, reply)
  }
}
