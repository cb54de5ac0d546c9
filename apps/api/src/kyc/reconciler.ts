import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import { DatabaseHealth } from '../database/database-health.js'
import { describeFailure, OutageLog } from '../database/outage-log.js'
import { KycRepository } from './kyc.repository.js'
import { KycService } from './kyc.service.js'

/** Customers synced at once within one reconciliation batch. */
const SYNC_CONCURRENCY = 4

/**
 * For webhooks that never arrive: every RECONCILE_INTERVAL, syncs customers that are not approved
 * and whose last look at Align is older than RECONCILE_AFTER, at most RECONCILE_BATCH_SIZE per
 * round. Claims are made with FOR UPDATE SKIP LOCKED and bump last_synced_at, so instances share
 * the work and a customer is synced by one of them per RECONCILE_AFTER. RECONCILE_INTERVAL=0: off.
 */
@Injectable()
export class Reconciler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Reconciler')
  private timer: NodeJS.Timeout | null = null
  private running: Promise<void> | null = null
  private stopped = false
  private readonly outage: OutageLog

  constructor(
    private readonly repository: KycRepository,
    private readonly kyc: KycService,
    private readonly database: DatabaseHealth,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.outage = new OutageLog(
      this.logger,
      database,
      `the reconciler tries again every ${config.reconcile.intervalMs / 1000} s`,
    )
  }

  onApplicationBootstrap(): void {
    const { intervalMs } = this.config.reconcile
    if (intervalMs === 0) {
      this.logger.log('reconciliation is off (RECONCILE_INTERVAL=0)')
      return
    }
    this.timer = setInterval(() => this.tick(), intervalMs)
    this.timer.unref()
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.running?.catch(() => undefined)
  }

  private tick(): void {
    if (this.running || this.stopped) return
    this.running = this.runOnce()
      .then(() => undefined)
      .catch((e: unknown) => {
        if (!this.outage.failed(e))
          this.logger.warn(`reconciliation round failed: ${describeFailure(e, this.database)}`)
      })
      .finally(() => (this.running = null))
  }

  /** One round: claims a batch of stale customers and syncs each. Returns how many were synced. */
  async runOnce(): Promise<number> {
    const { afterMs, batchSize } = this.config.reconcile
    const ids = await this.repository.claimStaleCustomers(new Date(Date.now() - afterMs), batchSize)
    this.outage.succeeded()
    if (ids.length === 0) return 0
    let synced = 0
    const queue = [...ids]
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined && !this.stopped; id = queue.shift()) {
        try {
          await this.kyc.sync(id)
          synced++
        } catch (e) {
          // Claimed already (last_synced_at bumped): tried again after RECONCILE_AFTER.
          if (!this.outage.failed(e))
            this.logger.warn(`sync of ${id} failed: ${describeFailure(e, this.database)}`)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(SYNC_CONCURRENCY, ids.length) }, worker))
    this.logger.log(`reconciled ${synced}/${ids.length} customers`)
    return synced
  }
}
