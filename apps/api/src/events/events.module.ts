import { Module } from '@nestjs/common'
import { EndpointSecrets } from './endpoint-secrets.js'
import { EventsController } from './events.controller.js'
import { EventsRepository } from './events.repository.js'
import { EventsService } from './events.service.js'
import { KycStreamController } from './kyc-stream.controller.js'
import { KycStreams } from './kyc-streams.js'
import { EventRelay } from './relay.js'
import { EventRetention } from './retention.js'
import { EventSignals } from './signals.js'
import { OutboundWorker } from './outbound-worker.js'
import { WebhookEndpointsController } from './webhook-endpoints.controller.js'
import { WebhookEndpointsRepository } from './webhook-endpoints.repository.js'
import { WebhookEndpointsService } from './webhook-endpoints.service.js'

/**
 * Events for the product's own systems: the feed, the relay that orders it, the outbound webhook
 * endpoints and their delivery worker, retention, and the KYC status streams of frontends. The outbox itself (outbox.ts) is a function
 * other folders call inside their transactions.
 */
@Module({
  controllers: [EventsController, WebhookEndpointsController, KycStreamController],
  providers: [
    EventsService,
    EventsRepository,
    EventSignals,
    EventRelay,
    EventRetention,
    WebhookEndpointsService,
    WebhookEndpointsRepository,
    EndpointSecrets,
    OutboundWorker,
    KycStreams,
  ],
})
export class EventsModule {}
