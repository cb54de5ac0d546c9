import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common'
import { AlignAbortError, AlignApiError } from '@align-kyc/align-client'
import { AlignGateway } from '../align/align.module.js'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import { DatabaseHealth } from '../database/database-health.js'
import { LEASE_MARGIN_MS } from '../database/leases.js'
import { OutageLog } from '../database/outage-log.js'
import { Rounds } from '../database/rounds.js'
import { readAlignCustomer } from '../kyc-state/kyc-observation.js'
import { KycRepository, type DueSync } from './kyc.repository.js'

/** How due status reads are worked off. */
export const SESSION_STATUS_POLICY = Object.freeze({
  /** Every instance looks for due reads this often (besides the kick after each new link). */
  pollMs: 1_000,
  /** Reads claimed (and made concurrently) per round. */
  batchSize: 10,
})

/**
 * Reads the status Align reports right after a new link (history source `session`), off the link
 * request's path: the link's transaction marks the customer due (sync_due_at), this worker is kicked
 * right after that commit and also polls every SESSION_STATUS_POLICY.pollMs on every instance, so a
 * read that a crash interrupted (or never started) is made within seconds, by any instance. A claim
 * is a lease (sync_due_at moved to its end, SKIP LOCKED), Align is called with nothing held, and the
 * reading is applied under the customer's row lock like every other status write.
 */
@Injectable()
export class SessionStatusWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('SessionStatus')
  private timer: NodeJS.Timeout | null = null
  private stopped = false
  private readonly rounds: Rounds
  private readonly abort = new AbortController()
  private readonly leaseMs: number

  constructor(
    private readonly kyc: KycRepository,
    private readonly align: AlignGateway,
    database: DatabaseHealth,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.leaseMs = config.align.timeoutMs + LEASE_MARGIN_MS
    const outage = new OutageLog(this.logger, database, 'status reads are tried again every second')
    this.rounds = new Rounds(() => this.drain(), {
      logger: this.logger,
      outage,
      database,
      what: 'status read round',
    })
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.kick(), SESSION_STATUS_POLICY.pollMs)
    this.timer.unref()
    this.kick() // whatever an earlier process left due
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    this.abort.abort()
    await this.rounds.stop()
  }

  /** Starts a round now (or right after the current one); never throws, never blocks the caller. */
  kick(): void {
    this.rounds.kick()
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      const due = await this.kyc.claimDueSyncs(SESSION_STATUS_POLICY.batchSize, this.leaseMs)
      if (due.length === 0) return
      await Promise.all(due.map((d) => this.read(d)))
    }
  }

  private async read(due: DueSync): Promise<void> {
    try {
      const alignCustomer = await this.align.client.customers.get(due.alignCustomerId, {
        signal: this.abort.signal,
      })
      const decision = await this.kyc.recordDueReading(
        due,
        readAlignCustomer(alignCustomer, 'session', new Date()),
      )
      if (decision.outcome === 'ignored' && decision.reason === 'unknown_value')
        this.logger.warn(`status of ${due.customerId} not applied (unknown value): ${decision.detail}`)
    } catch (e) {
      if (e instanceof AlignAbortError || this.stopped) {
        await this.kyc.endDueSync(due, true).catch(() => undefined) // another instance reads it now
        return
      }
      // Align refusing the read for good (a 4xx other than 408/429): a webhook, a sync or the
      // reconciler will tell. Anything else is retried when the claim's lease runs out.
      const refused = e instanceof AlignApiError && e.status < 500 && e.status !== 408 && e.status !== 429
      if (refused) await this.kyc.endDueSync(due, false).catch(() => undefined)
      this.logger.warn(
        `status read for ${due.customerId} failed (${message(e)})${refused ? '' : '; retried after the lease'}`,
      )
    }
  }
}

function message(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e)
}
