/**
 * Outgoing webhooks: signed `customer.kycs.updated` and `virtual_account.created` events, retried
 * with backoff, logged per attempt; event types can be held back and released later.
 */
import http from 'node:http'
import https from 'node:https'
import { signWebhookBody } from '../../webhooks.js'
import type { AlignEmulatorLogger } from './options.js'
import type { CancellableTimers } from './timers.js'

/** One webhook delivery attempt (`status` null when the receiver could not be reached). */
export type AlignEmulatorWebhookDelivery = {
  url: string
  status: number | null
  attempt: number
  body: string
}

/**
 * Input of `AlignEmulator.sendWebhook`: the entity is `entityId`, or `customerId` (kept for the
 * customer events); one of the two is required.
 */
export type AlignEmulatorSendWebhookInput = {
  /** The customer an event is about (`entity_id` of a customer event). */
  customerId?: string
  /** `entity_id`: e.g. a virtual account's id for `virtual_account.created`. Wins over `customerId`. */
  entityId?: string
  /** `entity_type`; default: from the event type (`virtual_account.*` → `virtual_account`, else `customer`). */
  entityType?: string
  /** Only this URL; default: every registered webhook. */
  url?: string
  /** Sign with a wrong key (a well-formed but invalid signature). */
  badSignature?: boolean
  /** Explicit `created_at` (e.g. an old one); default: now. */
  createdAt?: string
  /** Default `customer.kycs.updated`. */
  eventType?: string
}

export type WebhookSenderOptions = {
  /** The signing key (Align signs with the API key). */
  apiKey: string
  attempts: number
  baseDelayMs: number
  logger: AlignEmulatorLogger | undefined
  timers: CancellableTimers
  /** Resolves when the change an event announces is durable; the receiver reads it back. */
  beforeDelivery: () => Promise<void>
}

/** An event to announce: what `event_type`, `entity_id` and `entity_type` say. */
export type WebhookEvent = { eventType: string; entityId: string; entityType?: string }

/** An event held back by `hold(eventType)`, with the URLs it was due to go to. */
export type AlignEmulatorHeldWebhook = { eventType: string; entityId: string; body: string; urls: string[] }

/** `virtual_account.created` → `virtual_account`; anything else is about a customer. */
function entityTypeOf(eventType: string): string {
  const prefix = eventType.split('.')[0] ?? ''
  return ['virtual_account', 'onramp_transfer', 'offramp_transfer', 'cross_chain_transfer'].includes(prefix)
    ? prefix
    : 'customer'
}

/** Align's event body: no event id, no signed timestamp, only the entity's id. */
function eventBody(event: WebhookEvent, createdAt?: string): string {
  return JSON.stringify({
    event_type: event.eventType,
    entity_id: event.entityId,
    entity_type: event.entityType ?? entityTypeOf(event.eventType),
    created_at: createdAt ?? new Date().toISOString(),
  })
}

export class WebhookSender {
  readonly #options: WebhookSenderOptions
  readonly #outgoing = new Set<http.ClientRequest>()
  #deliveries: AlignEmulatorWebhookDelivery[] = []
  #outstanding = 0
  #idleWaiters: (() => void)[] = []
  /** Bumped by `cancel()`, so that attempts already in flight record and retry nothing. */
  #generation = 0
  readonly #heldTypes = new Set<string>()
  #held: AlignEmulatorHeldWebhook[] = []

  constructor(options: WebhookSenderOptions) {
    this.#options = options
  }

  /**
   * Announces an event to each URL, retrying non-2xx and unreachable receivers; an event of a held
   * type is kept instead (see `hold`).
   */
  deliver(event: WebhookEvent, urls: readonly string[]): void {
    const body = eventBody(event)
    if (this.#heldTypes.has(event.eventType)) {
      this.#held.push({ eventType: event.eventType, entityId: event.entityId, body, urls: [...urls] })
      return
    }
    for (const url of urls) void this.#deliverWithRetry(url, body)
  }

  /**
   * Holds back (`hold: true`) or stops holding (`false`) events of one type. Stopping delivers the
   * ones held so far, as they were (same body and URLs, with retries), unless `discard` is set.
   * Returns how many held events were delivered or discarded.
   */
  hold(eventType: string, hold: boolean, discard = false): number {
    if (hold) {
      this.#heldTypes.add(eventType)
      return 0
    }
    this.#heldTypes.delete(eventType)
    const released = this.#held.filter((h) => h.eventType === eventType)
    this.#held = this.#held.filter((h) => h.eventType !== eventType)
    if (!discard) for (const h of released) for (const url of h.urls) void this.#deliverWithRetry(url, h.body)
    return released.length
  }

  /** Events held back so far, oldest first. */
  held(): AlignEmulatorHeldWebhook[] {
    return this.#held.map((h) => ({ ...h, urls: [...h.urls] }))
  }

  /** Forgets the held types and the events held. */
  clearHeld(): void {
    this.#heldTypes.clear()
    this.#held = []
  }

  /** One attempt per URL, no retry; each receiver's status in URL order, 0 when unreachable. */
  async sendOnce(
    input: AlignEmulatorSendWebhookInput,
    urls: readonly string[],
  ): Promise<{ status: number }[]> {
    const entityId = input.entityId ?? input.customerId
    if (!entityId) throw new Error('sendWebhook needs entityId or customerId')
    const eventType = input.eventType ?? 'customer.kycs.updated'
    const body = eventBody({ eventType, entityId, entityType: input.entityType }, input.createdAt)
    const key = input.badSignature ? `not-${this.#options.apiKey}` : this.#options.apiKey
    const signature = signWebhookBody(body, key)
    return Promise.all(
      urls.map(async (url) => {
        const status = await this.#post(url, body, signature)
        this.#deliveries.push({ url, status, attempt: 1, body })
        return { status: status ?? 0 }
      }),
    )
  }

  /** Every attempt, oldest first. */
  deliveries(): AlignEmulatorWebhookDelivery[] {
    return this.#deliveries.map((d) => ({ ...d }))
  }

  clearDeliveries(): void {
    this.#deliveries = []
  }

  /** Resolves once no delivery is in flight or waiting for a retry. */
  async settled(): Promise<void> {
    if (this.#outstanding === 0) return
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve))
  }

  /** Aborts requests in flight; the caller cancels the retry timers. */
  cancel(): void {
    this.#generation++
    for (const request of this.#outgoing) request.destroy()
    this.#outgoing.clear()
  }

  async #deliverWithRetry(url: string, body: string): Promise<void> {
    const { apiKey, attempts, baseDelayMs, logger, timers } = this.#options
    const generation = this.#generation
    const signature = signWebhookBody(body, apiKey)
    // The receiver reads the change back: it must be durable first (the same save as the answer's).
    const saved = this.#options.beforeDelivery().catch(() => undefined)
    this.#outstanding++
    try {
      await saved
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const status = await this.#post(url, body, signature)
        if (generation !== this.#generation) return
        this.#deliveries.push({ url, status, attempt, body })
        if (status !== null && status >= 200 && status < 300) {
          logger?.info('webhook delivered', { url, status, attempt })
          return
        }
        logger?.warn('webhook delivery failed', { url, status, attempt })
        if (attempt < attempts && !(await timers.wait(baseDelayMs * 2 ** (attempt - 1)))) return
      }
      logger?.warn('webhook delivery gave up', { url, attempts })
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
}
