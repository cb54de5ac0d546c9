/**
 * Retry policy: which failures are retried, and how long to wait.
 *
 * Hand-written rather than `p-retry` / `exponential-backoff`: neither lets one attempt dictate the
 * next delay (`Retry-After`), nor caps the delay by a total deadline shared with the attempts, nor
 * cancels the sleep from an AbortSignal. Those three rules are the point of this module, and the rest
 * (full-jitter exponential backoff) is a one-liner.
 */

/** Numbers of the retry policy; every one can be overridden through `AlignClientOptions`. */
export type RetryPolicy = {
  /** Retries after the first attempt (so `maxRetries + 1` attempts at most). Default 2. */
  maxRetries: number
  /** Backoff base: retry n (0-based) sleeps a uniform random time in [0, min(max, base * 2^n)]. Default 200 ms. */
  baseDelayMs: number
  /** Backoff cap. Default 5 000 ms. */
  maxDelayMs: number
  /** Longest `Retry-After` honoured; a longer one is clamped to this. Default 30 000 ms. */
  maxRetryAfterMs: number
}

/** The defaults documented on {@link RetryPolicy}. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxRetries: 2,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 30_000,
})

/** HTTP methods that are safe to repeat: Align has no idempotency keys, so POST is not among them. */
export function isIdempotentMethod(method: string): boolean {
  return method === 'GET' || method === 'PUT' || method === 'DELETE' || method === 'HEAD'
}

/** Statuses worth retrying for an idempotent request: request timeout, rate limit, server errors. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599)
}

/**
 * Connection errors that prove the request never reached Align (nothing was sent), so even a POST
 * may be retried: the TCP connection was refused, or the host name did not resolve.
 */
export function isNeverSentErrno(errno: string | undefined): boolean {
  return errno === 'ECONNREFUSED' || errno === 'ENOTFOUND' || errno === 'EAI_AGAIN'
}

/** Full-jitter exponential backoff for 0-based retry `n`. */
export function computeBackoffMs(n: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** n)
  return Math.floor(random() * ceiling)
}

/**
 * Parses `retry-after-ms` (milliseconds) or `Retry-After` (delta seconds or an HTTP date) into a
 * delay in ms, clamped to [0, maxMs]. Returns undefined when absent or unparseable.
 */
export function parseRetryAfterMs(
  headers: Record<string, unknown> | undefined,
  maxMs: number,
  now: number = Date.now(),
): number | undefined {
  if (!headers) return undefined
  const clamp = (ms: number) => Math.min(Math.max(0, Math.ceil(ms)), maxMs)
  const msHeader = headers['retry-after-ms']
  if (typeof msHeader === 'string' && msHeader.trim() !== '' && Number.isFinite(Number(msHeader))) {
    return clamp(Number(msHeader))
  }
  const header = headers['retry-after']
  if (typeof header !== 'string' || header.trim() === '') return undefined
  const value = header.trim()
  if (/^\d+(\.\d+)?$/.test(value)) return clamp(Number(value) * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : clamp(date - now)
}

/** Sleeps `ms`, rejecting with `signal.reason` as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
