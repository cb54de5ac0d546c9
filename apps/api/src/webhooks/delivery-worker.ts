import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common'
import { AlignAbortError, type AlignCustomer } from '@align-kyc/align-client'
import { AlignGateway } from '../align/align.module.js'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import { DatabaseHealth } from '../database/database-health.js'
import { describeFailure, OutageLog } from '../database/outage-log.js'
import { Rounds } from '../database/rounds.js'
import { readAlignCustomer } from '../kyc-state/kyc-observation.js'
import { WebhookHandlers } from '../common/webhook-handlers.js'
import { DELIVERY_POLICY, retryDelayMs } from './delivery-policy.js'
import { WebhooksRepository, type ClaimedCustomer, type ClaimedDelivery } from './webhooks.repository.js'

/**
 * The event type this feature applies itself. Others are applied by the feature registered for them
 * (WebhookHandlers, e.g. `virtual_account.created`); any other is stored and acknowledged (`ignored`).
 */
export const KYC_UPDATED_EVENT = 'customer.kycs.updated'

/** Wake-up timers are rounded up to steps of this many ms, and fire this much after the due time. */
const WAKE_STEP_MS = 25
const WAKE_SLACK_MS = 5

/**
 * Applies stored `customer.kycs.updated` deliveries: woken when a delivery it was told about falls
 * due (WEBHOOK_COALESCE_WINDOW after it was acknowledged; never awaited by the request) and polled
 * every WEBHOOK_WORKER_INTERVAL, so deliveries left behind by a crash, a failure or a newly
 * recorded customer are picked up. Deliveries of other event types a feature registered a handler
 * for (WebhookHandlers: `virtual_account.created`) are claimed, retried and failed the same way, and
 * handed to that handler one by one.
 *
 * Deliveries carry no state: each one says "read the customer again". So the due ones are claimed
 * grouped by customer and each customer is read from Align once; that reading answers the claimed
 * deliveries and every other one for the customer received before the claim (WebhooksRepository
 * `complete`). Deliveries become due a window after they arrive, so a burst for one customer costs
 * about one read per window however many deliveries it holds.
 *
 * Claiming is a lease, not a held row lock: a short statement claims rows with
 * FOR UPDATE SKIP LOCKED, bumps `attempts` and moves `next_attempt_at` to the lease's end; Align is
 * then called with no transaction open; the result is written in one transaction that first
 * re-checks the claim (`attempts` as a fencing token) under the customer's and the deliveries' row
 * locks. Holding the
 * row lock across the Align call would pin a pooled connection (on PGlite: the only one) for up to
 * ALIGN_TIMEOUT_MS per delivery and stall ingestion; the lease costs one extra write and, after a
 * crash, a wait of at most the lease before another worker retries.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('WebhookWorker')
  private timer: NodeJS.Timeout | null = null
  private stopped = false
  private readonly abort = new AbortController()
  private readonly leaseMs: number
  private readonly outage: OutageLog
  private readonly rounds: Rounds
  /** Wake-ups for deliveries due later, one timer per WAKE_STEP_MS step (a burst shares a few). */
  private readonly wakes = new Map<number, NodeJS.Timeout>()

  constructor(
    private readonly deliveries: WebhooksRepository,
    private readonly align: AlignGateway,
    private readonly database: DatabaseHealth,
    private readonly handlers: WebhookHandlers,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.leaseMs = config.align.timeoutMs + DELIVERY_POLICY.leaseMarginMs
    this.outage = new OutageLog(
      this.logger,
      database,
      `the webhook worker tries again every ${config.webhookWorker.intervalMs / 1000} s`,
    )
    this.rounds = new Rounds(() => this.drain(), {
      logger: this.logger,
      outage: this.outage,
      database,
      what: 'delivery round',
    })
  }

  onApplicationBootstrap(): void {
    const { intervalMs } = this.config.webhookWorker
    this.timer = setInterval(() => this.poll(), intervalMs)
    this.timer.unref()
    this.poll() // work off whatever an earlier process left behind
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    for (const t of this.wakes.values()) clearTimeout(t)
    this.wakes.clear()
    this.abort.abort()
    await this.rounds.stop()
  }

  /** Starts a round now (or right after the current one); never throws, never blocks the caller. */
  kick(): void {
    this.rounds.kick()
  }

  /**
   * Starts a round once `delayMs` have passed (a delivery stored just now becomes due then). A few
   * milliseconds late rather than early: `next_attempt_at` is stored rounded to the millisecond.
   */
  kickIn(delayMs: number): void {
    if (this.stopped) return
    if (delayMs <= 0) return this.kick()
    const at = Math.ceil((Date.now() + delayMs + WAKE_SLACK_MS) / WAKE_STEP_MS) * WAKE_STEP_MS
    if (this.wakes.has(at)) return
    const t = setTimeout(() => {
      this.wakes.delete(at)
      this.kick()
    }, at - Date.now())
    t.unref()
    this.wakes.set(at, t)
  }

  /** Waits for the current round, if any (tests, shutdown). */
  async idle(): Promise<void> {
    await this.rounds.idle()
  }

  private poll(): void {
    if (this.stopped) return
    this.deliveries
      .releaseParked(DELIVERY_POLICY.releaseBatch)
      .then((n) => {
        this.outage.succeeded()
        if (n) this.logger.log(`released ${n} parked deliveries whose customer is now recorded`)
      })
      .catch((e: unknown) => {
        if (!this.outage.failed(e)) this.logger.warn(`releasing parked deliveries failed: ${this.message(e)}`)
      })
      .finally(() => this.kick())
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      const claimed = await this.deliveries.claimDue(DELIVERY_POLICY.batchSize, this.leaseMs)
      this.outage.succeeded()
      if (claimed.length === 0) return
      await Promise.all(claimed.map((c) => this.process(c)))
    }
  }

  /** One Align read for one customer's claimed deliveries, with no connection held while it runs. */
  private async process(claim: ClaimedCustomer): Promise<void> {
    if (claim.eventType !== KYC_UPDATED_EVENT) {
      await Promise.all(claim.deliveries.map((d) => this.handOver(d)))
      return
    }
    const what = `customer ${claim.entityId} (${claim.deliveries.length} claimed deliveries)`
    let alignCustomer: AlignCustomer
    try {
      if (!(await this.deliveries.customerIdByAlignId(claim.entityId))) {
        const parked = await Promise.all(claim.deliveries.map((d) => this.deliveries.park(d)))
        if (parked.some(Boolean)) this.logger.log(`${what}: not recorded yet, parked`)
        return
      }
      alignCustomer = await this.align.client.customers.get(claim.entityId, { signal: this.abort.signal })
    } catch (e) {
      return this.failAll(claim, e)
    }
    try {
      // A webhook's observation time is its event's created_at (api-contract.md, Status rules): for a
      // read that answers several, the latest of them. What the read shows is at least that recent, so
      // the label is never newer than the state it carries.
      const observedAt = new Date(Math.max(...claim.deliveries.map((d) => d.eventCreatedAt.getTime())))
      const reading = readAlignCustomer(alignCustomer, 'webhook', observedAt)
      const result = await this.deliveries.complete(claim, reading, {
        status: alignCustomer.kycs?.status != null ? String(alignCustomer.kycs.status) : null,
        subStatus: alignCustomer.kycs?.sub_status != null ? String(alignCustomer.kycs.sub_status) : null,
      })
      if (result.kind === 'lost')
        // Normal with several workers: another read, started later, answered these deliveries.
        this.logger.log(`${what}: claim lost (answered by another read, or lease expired), result discarded`)
      else if (result.kind === 'parked') this.logger.log(`${what}: not recorded, parked`)
      else {
        this.logger.debug(`${what}: one read answered ${result.processed} deliveries`)
        if (result.decision.outcome === 'ignored' && result.decision.reason === 'unknown_value')
          this.logger.warn(
            `${what}: unknown value from Align kept on the deliveries: ${result.decision.detail}`,
          )
      }
    } catch (e) {
      return this.failAll(claim, e)
    }
  }

  /** A delivery of another event type, applied by the feature registered for it (WebhookHandlers). */
  private async handOver(claim: ClaimedDelivery): Promise<void> {
    const handler = this.handlers.get(claim.eventType)
    try {
      const result = handler
        ? await handler(claim, this.abort.signal)
        : { status: 'ignored' as const, outcome: 'not_processed' }
      if (!(await this.deliveries.finish(claim, result.status, result.outcome)))
        this.logger.log(`delivery ${claim.id}: claim lost, result discarded`)
      else if (result.status === 'ignored')
        this.logger.log(`${claim.eventType} delivery ${claim.id} ignored: ${result.outcome}`)
    } catch (e) {
      await this.fail(claim, e)
    }
  }

  private async failAll(claim: ClaimedCustomer, e: unknown): Promise<void> {
    await Promise.all(claim.deliveries.map((d) => this.fail(d, e)))
  }

  private async fail(claim: ClaimedDelivery, e: unknown): Promise<void> {
    try {
      if (e instanceof AlignAbortError || this.stopped) {
        await this.deliveries.release(claim)
        return
      }
      const delay = retryDelayMs(claim.attempts)
      const status = await this.deliveries.recordFailure(
        claim,
        this.message(e),
        delay,
        this.config.webhookWorker.maxAttempts,
      )
      if (status === 'failed') {
        this.logger.error(
          `delivery ${claim.id} failed for good after ${claim.attempts} attempts: ${this.message(e)}`,
        )
      } else if (status === 'pending') {
        this.logger.warn(
          `delivery ${claim.id} attempt ${claim.attempts} failed (${this.message(e)}); next in ${Math.round(delay)} ms`,
        )
      }
    } catch (e2) {
      // The lease runs out and the delivery is retried then.
      if (this.outage.failed(e2)) return
      this.logger.warn(
        `delivery ${claim.id}: could not record the failure (${this.message(e2)}); retried after the lease`,
      )
    }
  }

  private message(e: unknown): string {
    return describeFailure(e, this.database)
  }
}
