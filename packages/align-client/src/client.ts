import { inspect } from 'node:util'
import type { AxiosInstance } from 'axios'
import { AlignValidationError } from './core/errors.js'
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './core/retry.js'
import { type AlignLogger, Transport } from './core/transport.js'
import { CustomersResource } from './resources/customers.js'
import { VirtualAccountsResource } from './resources/virtual-accounts.js'
import { WebhooksResource } from './resources/webhooks.js'
import { ALIGN_BASE_URLS, type AlignEnvironment } from './types.js'

/** Options of {@link AlignClient}. The client never reads the environment: pass validated config. */
export type AlignClientOptions = {
  /** Align API key, sent raw in `Authorization`. Kept in a private field; never logged or serialised. */
  apiKey: string
  /** `sandbox` (default) or `production`; selects the base URL unless `baseUrl` is given. */
  environment?: AlignEnvironment
  /** Overrides the base URL (e.g. the emulator's `url`). Trailing slashes are dropped. */
  baseUrl?: string
  /**
   * Total time budget of one call in ms, retries and backoff included (default 10 000). Also the
   * default per-attempt timeout. See `attemptTimeoutMs`.
   */
  timeoutMs?: number
  /** Per-attempt timeout in ms (default: `timeoutMs`); each attempt gets `min(this, time left)`. */
  attemptTimeoutMs?: number
  /** Retries after the first attempt for retry-safe failures (default 2). 0 disables retries. */
  maxRetries?: number
  /** Backoff base in ms (default 200). Tests set it to a few ms to stay fast. */
  retryBaseDelayMs?: number
  /** Backoff cap in ms (default 5 000). */
  retryMaxDelayMs?: number
  /** Longest `Retry-After` honoured in ms (default 30 000); longer values are clamped. */
  maxRetryAfterMs?: number
  /**
   * The axios instance to send requests with (in Nest: `HttpService.axiosRef` from `@nestjs/axios`).
   * It is used as is, never mutated. Default: a private instance with keep-alive agents.
   */
  http?: AxiosInstance
  /** Receives a `warn` per retry. */
  logger?: AlignLogger
}

/**
 * Typed client of Align's API.
 *
 * ```ts
 * const align = new AlignClient({ apiKey, environment: 'sandbox' })
 * const customer = await align.customers.create({ email, type: 'individual', first_name, last_name })
 * const { kycs } = await align.customers.createKycSession(customer.customer_id)
 * ```
 */
export class AlignClient {
  /** Base URL every request goes to, without a trailing slash. */
  readonly baseUrl: string
  /** `/v0/customers`. */
  readonly customers: CustomersResource
  /** `/v0/customers/{id}/virtual-account`. */
  readonly virtualAccounts: VirtualAccountsResource
  /** `/v0/webhooks`. */
  readonly webhooks: WebhooksResource
  // Private (#) so the transport, which holds the API key in its own #field, is reachable from no
  // enumerable property: JSON.stringify and util.inspect cannot see it.
  readonly #transport: Transport

  constructor(options: AlignClientOptions) {
    const apiKey: unknown = options?.apiKey
    if (typeof apiKey !== 'string' || apiKey.trim() === '') {
      throw new AlignValidationError('Invalid client options: apiKey must be a non-empty string', [
        { path: 'apiKey', message: 'must be a non-empty string' },
      ])
    }
    const environment = options.environment ?? 'sandbox'
    const baseUrl = options.baseUrl ?? ALIGN_BASE_URLS[environment]
    if (typeof baseUrl !== 'string' || !/^https?:\/\//.test(baseUrl)) {
      throw new AlignValidationError('Invalid client options: baseUrl must be an http(s) URL', [
        {
          path: options.baseUrl === undefined ? 'environment' : 'baseUrl',
          message: 'must be an http(s) URL',
        },
      ])
    }
    const timeoutMs = positive(options.timeoutMs, 10_000, 'timeoutMs')
    const retry: RetryPolicy = {
      maxRetries: nonNegativeInt(options.maxRetries, DEFAULT_RETRY_POLICY.maxRetries, 'maxRetries'),
      baseDelayMs: nonNegative(
        options.retryBaseDelayMs,
        DEFAULT_RETRY_POLICY.baseDelayMs,
        'retryBaseDelayMs',
      ),
      maxDelayMs: nonNegative(options.retryMaxDelayMs, DEFAULT_RETRY_POLICY.maxDelayMs, 'retryMaxDelayMs'),
      maxRetryAfterMs: nonNegative(
        options.maxRetryAfterMs,
        DEFAULT_RETRY_POLICY.maxRetryAfterMs,
        'maxRetryAfterMs',
      ),
    }
    this.baseUrl = baseUrl.replace(/\/+$/, '')
    this.#transport = new Transport({
      baseUrl: this.baseUrl,
      apiKey,
      http: options.http,
      timeoutMs,
      attemptTimeoutMs:
        options.attemptTimeoutMs === undefined
          ? undefined
          : positive(options.attemptTimeoutMs, timeoutMs, 'attemptTimeoutMs'),
      retry,
      logger: options.logger,
    })
    this.customers = new CustomersResource(this.#transport)
    this.virtualAccounts = new VirtualAccountsResource(this.#transport)
    this.webhooks = new WebhooksResource(this.#transport)
  }

  /** Serialises to `{ baseUrl }` only. */
  toJSON(): { baseUrl: string } {
    return { baseUrl: this.baseUrl }
  }

  /** `util.inspect` shows the base URL only. */
  [inspect.custom](): string {
    return `AlignClient { baseUrl: '${this.baseUrl}' }`
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new AlignValidationError(`Invalid client options: ${name} must be a positive number`, [
      { path: name, message: 'must be a positive number' },
    ])
  }
  return value
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new AlignValidationError(`Invalid client options: ${name} must be a non-negative number`, [
      { path: name, message: 'must be a non-negative number' },
    ])
  }
  return value
}

function nonNegativeInt(value: number | undefined, fallback: number, name: string): number {
  const n = nonNegative(value, fallback, name)
  if (!Number.isInteger(n)) {
    throw new AlignValidationError(`Invalid client options: ${name} must be an integer`, [
      { path: name, message: 'must be an integer' },
    ])
  }
  return n
}
