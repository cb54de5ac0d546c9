import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common'
import { PrismaService } from '../database/prisma.service.js'
import { DELIVERIES_CHANNEL } from './events.repository.js'
import { EVENTS_CHANNEL } from './outbox.js'

type Channel = typeof EVENTS_CHANNEL | typeof DELIVERIES_CHANNEL

/**
 * Called with the notification's payload (EVENTS_CHANNEL: the customer whose event committed), or
 * with none when notifications may have been lost (the LISTEN connection was re-opened): then
 * anything may have changed.
 */
type Handler = (payload?: string) => void

/**
 * The wake-ups between instances: one LISTEN connection per instance for the outbox's commit
 * notifications (new events: the relay runs, the customer's KYC streams look again) and the relay's
 * (new deliveries: the delivery worker claims). PostgreSQL delivers a NOTIFY only at its transaction's commit, so a woken relay always
 * finds the event committed. Each loop also polls, so a notification lost while the connection was
 * down costs at most a poll interval.
 */
@Injectable()
export class EventSignals implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('EventSignals')
  private readonly handlers = new Map<Channel, Handler[]>()
  private stop: (() => Promise<void>) | null = null

  constructor(private readonly prisma: PrismaService) {}

  /** Calls `fn` on every notification on `channel` (register before bootstrap). */
  on(channel: Channel, fn: Handler): void {
    this.handlers.set(channel, [...(this.handlers.get(channel) ?? []), fn])
  }

  /** Tells this instance's handlers at once (the notification reaches the others after commit). */
  emit(channel: Channel, payload?: string): void {
    for (const fn of this.handlers.get(channel) ?? []) fn(payload)
  }

  async onApplicationBootstrap(): Promise<void> {
    this.stop = await this.prisma.sql.listen([EVENTS_CHANNEL, DELIVERIES_CHANNEL], (c, payload) =>
      this.emit(c as Channel, payload),
    )
    this.logger.debug('listening for event notifications')
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop?.()
  }
}
