import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import { DatabaseHealth } from '../database/database-health.js'
import { OutageLog } from '../database/outage-log.js'
import { Rounds } from '../database/rounds.js'
import { DELIVERY_POLICY } from './delivery-policy.js'
import { WebhooksRepository } from './webhooks.repository.js'

/**
 * WEBHOOK_BODY_RETENTION: erases the raw bodies of inbound deliveries older than that (their
 * metadata stays), at start-up and then every DELIVERY_POLICY.bodyRetentionCheckMs (or half the
 * retention, if shorter) on every instance; one instance at a time does the work
 * (WebhooksRepository.eraseBodiesOlderThan), in bounded batches.
 *
 * A job of its own beside EventRetention rather than a second task in that one: each feature owns
 * its tables (eslint keeps webhooks/ and events/ apart), and both share the loop's machinery (Rounds,
 * OutageLog) anyway.
 */
@Injectable()
export class WebhookBodyRetention implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('WebhookBodyRetention')
  private readonly rounds: Rounds
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly deliveries: WebhooksRepository,
    database: DatabaseHealth,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    const outage = new OutageLog(this.logger, database, 'body retention tries again at its next run')
    this.rounds = new Rounds(() => this.runOnce(), {
      logger: this.logger,
      outage,
      database,
      what: 'body retention run',
    })
  }

  onApplicationBootstrap(): void {
    const every = Math.min(
      DELIVERY_POLICY.bodyRetentionCheckMs,
      Math.max(1_000, this.config.webhookBodyRetentionMs / 2),
    )
    this.timer = setInterval(() => this.rounds.kick(), every)
    this.timer.unref()
    // At once too: an instance that restarts more often than every interval still enforces it.
    this.rounds.kick()
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    await this.rounds.stop()
  }

  private async runOnce(): Promise<void> {
    const cutoff = new Date(Date.now() - this.config.webhookBodyRetentionMs)
    const erased = await this.deliveries.eraseBodiesOlderThan(cutoff, DELIVERY_POLICY.bodyRetentionBatch)
    if (erased) this.logger.log(`erased ${erased} webhook bodies received before ${cutoff.toISOString()}`)
  }
}
