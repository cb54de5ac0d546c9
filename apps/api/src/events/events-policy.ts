/**
 * The numbers behind the event feed, the relay, the outbound webhooks and retention, in one place.
 * The per-deployment knobs (EVENT_WEBHOOK_TIMEOUT, EVENT_WEBHOOK_RETRY_BASE, EVENT_WEBHOOK_RETRY_FOR,
 * EVENT_RETENTION) come from the config; these are the rest.
 */
export const EVENTS_POLICY = Object.freeze({
  /** Events the relay positions per transaction (it loops until none is left). */
  relayBatch: 500,
  /**
   * The relay also runs this often without a notification (one lost while the listening connection
   * was down, or an instance that missed it).
   */
  relayPollMs: 1_000,
  /** The delivery worker looks for due retries this often (new deliveries wake it at once). */
  deliveryPollMs: 500,
  /** Deliveries in flight at once on one instance, over all endpoints. */
  maxInFlight: 64,
  /**
   * Deliveries in flight at once to one endpoint, over all instances: a slow or dead endpoint holds
   * at most this many of maxInFlight, so the others flow on. 16 rather than 4: one endpoint taking
   * 200 events/s needs a claim-send-record cycle under 20 ms at 4 (measured on this machine, bench
   * section 11 at load ~4: p50 7.9 s behind at 4, 19.6 ms at 16).
   */
  maxInFlightPerEndpoint: 16,
  /** A claim's lease is the delivery timeout (EVENT_WEBHOOK_TIMEOUT) plus this, for the database work. */
  leaseMarginMs: 3_000,
  /** Retries never wait longer than this (exponential ×2 per attempt from EVENT_WEBHOOK_RETRY_BASE). */
  retryMaxMs: 60 * 60_000,
  /** Characters of a failure (an error or the start of a non-2xx answer) kept as `lastError`. */
  lastErrorChars: 500,
  /** Bytes of an answer read before the connection is let go (the body is never used). */
  responseBodyBytes: 4_096,
  /** After a rotation, the old secret keeps signing (a second signature) this long. */
  previousSecretMs: 24 * 60 * 60_000,
  /**
   * Retention runs this often on each instance (or every half EVENT_RETENTION, if shorter); one
   * instance at a time does the work (an advisory lock), so it runs at least once a minute whatever
   * the number of instances.
   */
  retentionCheckMs: 30_000,
  /** Events deleted per retention statement (it loops), so no transaction grows large. */
  retentionBatch: 5_000,
})

/**
 * Delay before the next attempt after `attempts` failed ones: exponential from `baseMs` (×2 per
 * attempt), capped at EVENTS_POLICY.retryMaxMs, with "equal jitter" (50–100 % of the ceiling) so
 * retries from many deliveries spread out.
 */
export function outboundRetryDelayMs(
  attempts: number,
  baseMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(EVENTS_POLICY.retryMaxMs, baseMs * 2 ** Math.max(0, attempts - 1))
  return ceiling / 2 + random() * (ceiling / 2)
}
