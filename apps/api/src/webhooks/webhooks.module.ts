import { Module } from '@nestjs/common'
import { WebhookBodyRetention } from './body-retention.js'
import { DeliveryWorker } from './delivery-worker.js'
import { WebhookRawBody } from './webhook-raw-body.js'
import { WebhooksController } from './webhooks.controller.js'
import { WebhooksRepository } from './webhooks.repository.js'
import { WebhooksService } from './webhooks.service.js'

/** Align's webhook, the delivery worker behind it, body retention and the operators' delivery routes. */
@Module({
  controllers: [WebhooksController],
  providers: [WebhooksService, WebhooksRepository, DeliveryWorker, WebhookRawBody, WebhookBodyRetention],
  exports: [WebhooksService],
})
export class WebhooksModule {}
