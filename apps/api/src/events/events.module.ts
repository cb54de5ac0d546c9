import { Module } from '@nestjs/common'
import { EventsController } from './events.controller.js'
import { EventsRepository } from './events.repository.js'
import { EventsService } from './events.service.js'
import { EventRelay } from './relay.js'
import { EventSignals } from './signals.js'

/**
 * Events for the product's own systems: the feed, the relay that orders it, the outbound webhook
 * endpoints and their delivery worker, and retention. The outbox itself (outbox.ts) is a function
 * other folders call inside their transactions.
 */
@Module({
  controllers: [EventsController],
  providers: [EventsService, EventsRepository, EventSignals, EventRelay],
})
export class EventsModule {}
