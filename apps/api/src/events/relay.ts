import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import { DatabaseHealth } from '../database/database-health.js'
import { OutageLog } from '../database/outage-log.js'
import { Rounds } from '../database/rounds.js'
import { EVENTS_POLICY } from './events-policy.js'
import { DELIVERIES_CHANNEL, EventsRepository } from './events.repository.js'
import { EVENTS_CHANNEL } from './outbox.js'
import { EventSignals } from './signals.js'

/**
 * Gives committed events their feed position (EventsRepository.relayStep, one relay at a time over
 * all instances): woken by the outbox's commit notification, on every instance, and every
 * EVENTS_POLICY.relayPollMs. Commit to visible in the feed is a notification plus one short
 * transaction, a few milliseconds.
 */
@Injectable()
export class EventRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('EventRelay')
  private readonly rounds: Rounds
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly events: EventsRepository,
    private readonly signals: EventSignals,
    database: DatabaseHealth,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    const outage = new OutageLog(this.logger, database, 'the event relay tries again every second')
    this.rounds = new Rounds(() => this.drain(), {
      logger: this.logger,
      outage,
      database,
      what: 'relay round',
    })
    signals.on(EVENTS_CHANNEL, () => this.rounds.kick())
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.rounds.kick(), EVENTS_POLICY.relayPollMs)
    this.timer.unref()
    this.rounds.kick()
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    await this.rounds.stop()
  }

  /** Waits for the round in flight (tests). */
  idle(): Promise<void> {
    return this.rounds.idle()
  }

  private async drain(): Promise<void> {
    for (;;) {
      const step = await this.events.relayStep(EVENTS_POLICY.relayBatch, this.config.events.retryForMs)
      if (step.deliveries > 0) this.signals.emit(DELIVERIES_CHANNEL)
      if (step.positioned < EVENTS_POLICY.relayBatch) return
    }
  }
}
