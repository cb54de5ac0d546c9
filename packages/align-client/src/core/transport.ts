/**
 * HTTP transport: one Align call = up to `maxRetries + 1` attempts through an axios instance, under
 * one total deadline.
 *
 * Deadline semantics (what `timeoutMs` means):
 * - `timeoutMs` (default 10 000) is the TOTAL time a call may take, attempts and backoff sleeps
 *   included. When it runs out the call rejects with `AlignTimeoutError`.
 * - Each attempt is additionally bounded by `attemptTimeoutMs` (default: equal to `timeoutMs`), so an
 *   attempt gets `min(attemptTimeoutMs, time left)`. Set `attemptTimeoutMs` lower than `timeoutMs` to
 *   leave room for a retry after a hung attempt.
 * - A retry whose backoff (or `Retry-After`) would end past the deadline is not started: the last
 *   failure is thrown as is (e.g. the `AlignServerError` of the 503), not a timeout.
 *
 * Retry semantics: see `retry.ts`. GET/PUT/DELETE retry on 408/429/5xx, resets and attempt timeouts.
 * POST retries only when the request provably never left (ECONNREFUSED, ENOTFOUND, EAI_AGAIN);
 * on a 5xx, reset or timeout its outcome is unknown and the error surfaces for the caller to
 * reconcile (e.g. look the customer up by email).
 */
import http from 'node:http'
import https from 'node:https'
import axios, { type AxiosInstance, type AxiosResponse } from 'axios'
import {
  AlignAbortError,
  AlignApiError,
  AlignConnectionError,
  AlignError,
  AlignResponseError,
  AlignTimeoutError,
  readRequestId,
} from './errors.js'
import {
  type RetryPolicy,
  computeBackoffMs,
  isIdempotentMethod,
  isNeverSentErrno,
  isRetryableStatus,
  parseRetryAfterMs,
  sleep,
} from './retry.js'
import type { AlignRequestOptions } from '../types.js'

/** Minimal structured logger; the client logs retries at `warn`. Log lines never contain the API key. */
export type AlignLogger = {
  debug?(message: string, meta?: Record<string, unknown>): void
  warn?(message: string, meta?: Record<string, unknown>): void
}

/** HTTP methods Align's API uses. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE'

/** One logical request to Align. */
export type ApiRequest = {
  method: HttpMethod
  /** Path with parameters already encoded. */
  path: string
  query?: Record<string, string | undefined>
  body?: unknown
}

/** A 2xx response: the parsed JSON (`undefined` for an empty body) and the raw text (API key redacted, for errors). */
export type ApiResponse = {
  status: number
  requestId: string | undefined
  rawBody: string
  data: unknown
}

/** Transport settings, resolved by `AlignClient`. */
export type TransportConfig = {
  baseUrl: string
  apiKey: string
  http?: AxiosInstance
  timeoutMs: number
  attemptTimeoutMs?: number
  retry: RetryPolicy
  logger?: AlignLogger
}

type AttemptOutcome =
  | { ok: true; response: ApiResponse }
  | { ok: false; error: AlignError; retryable: boolean; retryAfterMs?: number }

const USER_AGENT = '@align-kyc/align-client/0.1.0'

/**
 * The default axios instance: keep-alive agents, so sequential calls reuse one TCP (and TLS)
 * connection instead of paying a handshake per request. Idle keep-alive sockets are unref'd by
 * Node, so they never hold the process open. `proxy: false` because the client never reads the
 * environment (house rule 9): axios would otherwise consult HTTP(S)_PROXY on every request (it
 * showed up in the benchmark profile). An app behind a proxy injects its own configured instance.
 */
export function createDefaultHttp(): AxiosInstance {
  return axios.create({
    proxy: false,
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
  })
}

/** Internal: executes requests with retries and deadlines. Holds the API key in a private field. */
export class Transport {
  readonly #apiKey: string
  readonly #http: AxiosInstance
  readonly #config: Omit<TransportConfig, 'apiKey' | 'http'>

  constructor(config: TransportConfig) {
    const { apiKey, http: instance, ...rest } = config
    this.#apiKey = apiKey
    this.#http = instance ?? createDefaultHttp()
    this.#config = rest
  }

  /** Runs one logical request (with retries) and returns the 2xx response or throws an `AlignError`. */
  async request(req: ApiRequest, options: AlignRequestOptions = {}): Promise<ApiResponse> {
    const totalMs = options.timeoutMs ?? this.#config.timeoutMs
    const attemptMs = options.attemptTimeoutMs ?? this.#config.attemptTimeoutMs ?? totalMs
    const maxRetries = options.maxRetries ?? this.#config.retry.maxRetries
    const deadline = performance.now() + totalMs
    const context = `${req.method} ${req.path}`
    const url = this.#url(req)

    for (let attempt = 1; ; attempt++) {
      const remaining = deadline - performance.now()
      if (remaining <= 0) {
        throw new AlignTimeoutError(
          `${context}: no answer within ${totalMs} ms (total deadline)`,
          totalMs,
          attempt - 1,
        )
      }
      const limitedByDeadline = remaining < attemptMs
      const outcome = await this.#attempt(
        req,
        url,
        context,
        Math.min(attemptMs, remaining),
        options.signal,
        attempt,
      )
      if (outcome.ok) return outcome.response

      const { error } = outcome
      if (error instanceof AlignTimeoutError && limitedByDeadline) {
        throw new AlignTimeoutError(
          `${context}: no answer within ${totalMs} ms (total deadline)`,
          totalMs,
          attempt,
        )
      }
      if (!outcome.retryable || attempt > maxRetries) throw error
      const delayMs = outcome.retryAfterMs ?? computeBackoffMs(attempt - 1, this.#config.retry)
      if (performance.now() + delayMs >= deadline) throw error
      this.#config.logger?.warn?.('align request retry', {
        method: req.method,
        path: req.path,
        attempt,
        delayMs,
        reason: error instanceof AlignApiError ? error.status : error.name,
      })
      try {
        await sleep(delayMs, options.signal)
      } catch {
        throw new AlignAbortError(`${context}: aborted by the caller`)
      }
    }
  }

  #url(req: ApiRequest): string {
    let url = this.#config.baseUrl + req.path
    if (req.query) {
      const params = new URLSearchParams()
      for (const [key, value] of Object.entries(req.query)) if (value !== undefined) params.append(key, value)
      const qs = params.toString()
      if (qs) url += `?${qs}`
    }
    return url
  }

  async #attempt(
    req: ApiRequest,
    url: string,
    context: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    attempt: number,
  ): Promise<AttemptOutcome> {
    if (signal?.aborted) {
      return { ok: false, error: new AlignAbortError(`${context}: aborted by the caller`), retryable: false }
    }
    const idempotent = isIdempotentMethod(req.method)
    const controller = new AbortController()
    let why: 'timeout' | 'abort' | undefined
    const timer = setTimeout(() => {
      why ??= 'timeout'
      controller.abort()
    }, timeoutMs)
    const onAbort = () => {
      why ??= 'abort'
      controller.abort()
    }
    signal?.addEventListener('abort', onAbort, { once: true })

    const headers: Record<string, string> = {
      Authorization: this.#apiKey,
      Accept: 'application/json',
      'User-Agent': USER_AGENT,
    }
    if (req.body !== undefined) headers['Content-Type'] = 'application/json'

    try {
      const response = await this.#http.request<string>({
        method: req.method,
        url,
        headers,
        data: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: controller.signal,
        validateStatus: () => true,
        responseType: 'text',
        transformResponse: [(data: unknown) => data],
        maxRedirects: 0,
      })
      return this.#handle(response, context, idempotent)
    } catch (caught) {
      if (why === 'abort') {
        return {
          ok: false,
          error: new AlignAbortError(`${context}: aborted by the caller`),
          retryable: false,
        }
      }
      if (why === 'timeout') {
        return {
          ok: false,
          error: new AlignTimeoutError(
            `${context}: no answer within ${timeoutMs} ms (attempt ${attempt})`,
            timeoutMs,
            attempt,
          ),
          retryable: idempotent,
        }
      }
      const errno = errnoOf(caught)
      // An axios-level timeout configured on an injected instance: same meaning as ours.
      if (errno === 'ECONNABORTED' || errno === 'ETIMEDOUT') {
        return {
          ok: false,
          error: new AlignTimeoutError(
            `${context}: timed out (${errno}, attempt ${attempt})`,
            timeoutMs,
            attempt,
          ),
          retryable: idempotent,
        }
      }
      const reason = caught instanceof Error ? caught.message : String(caught)
      return {
        ok: false,
        error: new AlignConnectionError(
          `${context}: connection failed${errno ? ` (${errno})` : ''}: ${this.#redact(reason)}`,
          errno,
          attempt,
        ),
        retryable: idempotent || isNeverSentErrno(errno),
      }
    } finally {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
  }

  #handle(response: AxiosResponse<string>, context: string, idempotent: boolean): AttemptOutcome {
    const headers = lowerCaseHeaders(response.headers)
    const text = toText(response.data)
    // The redacted copy is what errors keep; a successful body is parsed from the original text.
    const rawBody = this.#redact(text)
    const { status } = response
    const requestId = readRequestId(headers)

    if (status >= 200 && status < 300) {
      if (rawBody.trim() === '')
        return { ok: true, response: { status, requestId, rawBody, data: undefined } }
      try {
        return { ok: true, response: { status, requestId, rawBody, data: JSON.parse(text) } }
      } catch {
        return {
          ok: false,
          error: new AlignResponseError(
            `${context}: Align answered ${status} with a body that is not JSON`,
            status,
            rawBody,
            requestId,
          ),
          retryable: false,
        }
      }
    }

    let body: unknown = rawBody
    try {
      body = JSON.parse(rawBody)
    } catch {
      // keep the raw text: a proxy's HTML error page is still an error with a status
    }
    const error = AlignApiError.generate(status, body, headers, context)
    const retryable = idempotent && isRetryableStatus(status)
    const retryAfterMs = retryable
      ? parseRetryAfterMs(headers, this.#config.retry.maxRetryAfterMs)
      : undefined
    return { ok: false, error, retryable, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) }
  }

  /** Removes the API key from any text an error keeps (an error body could echo it). */
  #redact(text: string): string {
    return this.#apiKey && text.includes(this.#apiKey) ? text.split(this.#apiKey).join('[redacted]') : text
  }
}

function toText(data: unknown): string {
  if (data === undefined || data === null) return ''
  if (typeof data === 'string') return data
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  return JSON.stringify(data)
}

function lowerCaseHeaders(headers: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (headers && typeof headers === 'object') {
    for (const [key, value] of Object.entries(headers)) out[key.toLowerCase()] = value
  }
  return out
}

function errnoOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const cause = (error as { cause?: { code?: unknown } }).cause
  if (cause && typeof cause.code === 'string' && cause.code.startsWith('E') && cause.code !== 'ERR_NETWORK') {
    return cause.code
  }
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : undefined
}
