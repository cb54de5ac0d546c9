import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import { DatabaseHealth } from '../database/database-health.js'
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
 * its tables (eslint keeps webhooks/ and events/ apart), and both share the loop's machinery
 * (Rounds.periodic) anyway.
 */
@Injectable()
export class WebhookBodyRetention implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('WebhookBodyRetention')
  private readonly rounds

  constructor(
    private readonly deliveries: WebhooksRepository,
    database: DatabaseHealth,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.rounds = Rounds.periodic(() => this.runOnce(), {
      logger: this.logger,
      database,
      what: 'body retention run',
      carryOn: 'body retention tries again at its next run',
      everyMs: Math.min(
        DELIVERY_POLICY.bodyRetentionCheckMs,
        Math.max(1_000, config.webhookBodyRetentionMs / 2),
      ),
    })
  }

  onApplicationBootstrap(): void {
    // At once too: an instance that restarts more often than every interval still enforces it.
    this.rounds.start()
  }

  async onModuleDestroy(): Promise<void> {
    await this.rounds.stop()
  }

  private async runOnce(): Promise<void> {
    const cutoff = new Date(Date.now() - this.config.webhookBodyRetentionMs)
    const erased = await this.deliveries.eraseBodiesOlderThan(cutoff, DELIVERY_POLICY.bodyRetentionBatch)
    if (erased) this.logger.log(`erased ${erased} webhook bodies received before ${cutoff.toISOString()}`)
  }
}
