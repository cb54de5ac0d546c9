import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import { DatabaseHealth } from '../database/database-health.js'
import { Rounds } from '../database/rounds.js'
import { EVENTS_POLICY } from './events-policy.js'
import { EventsRepository } from './events.repository.js'

/**
 * EVENT_RETENTION: deletes events (and their deliveries) older than that, every
 * EVENTS_POLICY.retentionCheckMs (or half the retention, if shorter), and at start-up, on every instance; one instance
 * at a time does it (EventsRepository.deleteOlderThan).
 */
@Injectable()
export class EventRetention implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('EventRetention')
  private readonly rounds

  constructor(
    private readonly events: EventsRepository,
    database: DatabaseHealth,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.rounds = Rounds.periodic(() => this.runOnce(), {
      logger: this.logger,
      database,
      what: 'retention run',
      carryOn: 'event retention tries again at its next run',
      everyMs: Math.min(EVENTS_POLICY.retentionCheckMs, Math.max(1_000, config.events.retentionMs / 2)),
    })
  }

  onApplicationBootstrap(): void {
    this.rounds.start()
  }

  async onModuleDestroy(): Promise<void> {
    await this.rounds.stop()
  }

  private async runOnce(): Promise<void> {
    const cutoff = new Date(Date.now() - this.config.events.retentionMs)
    const deleted = await this.events.deleteOlderThan(cutoff, EVENTS_POLICY.retentionBatch)
    if (deleted) this.logger.log(`deleted ${deleted} events older than ${cutoff.toISOString()}`)
  }
}
