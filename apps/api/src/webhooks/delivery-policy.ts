/**
 * How deliveries are worked off. One documented object; the per-deployment knobs
 * (WEBHOOK_WORKER_INTERVAL, WEBHOOK_MAX_ATTEMPTS) come from the config.
 */
export const DELIVERY_POLICY = Object.freeze({
  /** Deliveries claimed (and processed concurrently) per round. */
  batchSize: 10,
  /** First retry after about this long (exponential: ×2 per attempt, "equal jitter": 50–100 %). */
  retryBaseMs: 1_000,
  /** No retry waits longer than this. */
  retryMaxMs: 15 * 60_000,
  /** A claim's lease is the Align deadline (ALIGN_TIMEOUT_MS) plus this, for the database work. */
  leaseMarginMs: 5_000,
  /** Parked deliveries re-checked against recorded customers per poll. */
  releaseBatch: 500,
  /** WEBHOOK_BODY_RETENTION is enforced this often (or every half retention, if shorter; at least 1 s). */
  bodyRetentionCheckMs: 30_000,
  /** Bodies erased per statement (it loops until fewer are left), so no transaction grows large. */
  bodyRetentionBatch: 500,
})

/** Delay before attempt `attempts + 1`, after `attempts` failed ones: exponential, capped, jittered. */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(
    DELIVERY_POLICY.retryMaxMs,
    DELIVERY_POLICY.retryBaseMs * 2 ** Math.max(0, attempts - 1),
  )
  return ceiling / 2 + random() * (ceiling / 2)
}
