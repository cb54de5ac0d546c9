import { Module } from '@nestjs/common'
import { DeliveryWorker } from './delivery-worker.js'
import { Reconciler } from './reconciler.js'
import { WebhookRawBody } from './webhook-raw-body.js'
import { WebhooksController } from './webhooks.controller.js'
import { WebhooksRepository } from './webhooks.repository.js'
import { WebhooksService } from './webhooks.service.js'

/** Align's webhook, the delivery worker behind it, the operators' delivery routes and reconciliation. */
@Module({
  controllers: [WebhooksController],
  providers: [WebhooksService, WebhooksRepository, DeliveryWorker, Reconciler, WebhookRawBody],
  exports: [WebhooksService],
})
export class WebhooksModule {}
