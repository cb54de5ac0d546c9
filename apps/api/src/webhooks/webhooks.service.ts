import { hash } from 'node:crypto'
import { Inject, Injectable, Logger } from '@nestjs/common'
import { AlignWebhookParseError, parseWebhookEvent, verifyWebhookSignature } from '@align-kyc/align-client'
import { AlignGateway } from '../align/align.module.js'
import { AppError } from '../common/app-error.js'
import { WebhookHandlers } from '../common/webhook-handlers.js'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import { decodeCursor, encodeCursor } from '../kyc-state/cursor.js'
import { DeliveryWorker, KYC_UPDATED_EVENT } from './delivery-worker.js'
import {
  WebhooksRepository,
  type DeliveryRecord,
  type DeliveryStatus,
  type StoreResult,
} from './webhooks.repository.js'

@Injectable()
export class WebhooksService {
  private readonly logger = new Logger('Webhooks')
  /** Deliveries refused for their signature since start-up (their bodies are never stored or logged). */
  private rejected = 0

  private readonly windowMs: number

  constructor(
    private readonly deliveries: WebhooksRepository,
    private readonly worker: DeliveryWorker,
    private readonly align: AlignGateway,
    private readonly handlers: WebhookHandlers,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.windowMs = config.webhookWorker.coalesceWindowMs
  }

  /**
   * Verifies, parses and durably stores one delivery, then kicks the worker without waiting for it.
   * The signature is checked first, over the exact bytes; nothing else is looked at before.
   * Resolves only once the delivery is committed (the caller answers 200 then).
   */
  async receive(rawBody: Buffer | undefined, signature: string | string[] | undefined): Promise<StoreResult> {
    const body = rawBody ?? Buffer.alloc(0)
    if (
      typeof signature !== 'string' ||
      !verifyWebhookSignature(body, signature, this.align.webhookSecrets)
    ) {
      this.rejected++
      this.logger.warn(
        `webhook refused: ${typeof signature === 'string' ? 'invalid' : 'missing'} signature (${body.length} bytes; ${this.rejected} refused since start)`,
      )
      throw new AppError('invalid_signature', 'The x-hmac-signature header does not match the body.')
    }
    let event
    try {
      event = parseWebhookEvent(body)
    } catch (e) {
      if (e instanceof AlignWebhookParseError) throw new AppError('invalid_webhook', e.message)
      throw e
    }
    const handling =
      event.event_type === KYC_UPDATED_EVENT
        ? 'process'
        : this.handlers.get(event.event_type)
          ? 'process-now'
          : 'ignore'
    const known = handling !== 'ignore'
    const result = await this.deliveries.store(
      {
        bodyHash: hash('sha256', body, 'hex'),
        rawBody: body.toString('utf8'),
        eventType: event.event_type,
        entityType: event.entity_type ?? null,
        entityId: event.entity_id,
        eventCreatedAt: new Date(event.created_at),
        handling,
      },
      this.windowMs,
    )
    if (result.duplicate) {
      this.logger.log(
        `duplicate ${event.event_type} for ${event.entity_id}: acknowledged, not processed again`,
      )
    } else if (!known) {
      this.logger.log(
        `unknown event type ${JSON.stringify(event.event_type)} stored as ignored (${result.id})`,
      )
    } else if (handling === 'process-now') {
      this.worker.kick()
    } else if (result.queued) {
      this.worker.kickIn(this.windowMs)
    } else {
      this.logger.debug(
        `delivery ${result.id} for unrecorded customer ${event.entity_id} kept until it is recorded`,
      )
    }
    return result
  }

  async list(q: {
    status?: DeliveryStatus
    customerId?: string
    limit?: number
    cursor?: string
  }): Promise<{ items: DeliveryRecord[]; nextCursor: string | null }> {
    const limit = q.limit ?? 20
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor)
    const page = await this.deliveries.page({
      limit,
      ...(q.status ? { status: q.status } : {}),
      ...(q.customerId ? { customerId: q.customerId } : {}),
      ...(after ? { after } : {}),
    })
    const last = page.items[page.items.length - 1]
    return {
      items: page.items,
      nextCursor: page.hasMore && last ? encodeCursor({ createdAt: last.receivedAt, id: last.id }) : null,
    }
  }

  /** Re-queues a pending or failed delivery now; processed and ignored ones are final. */
  async retry(id: string): Promise<DeliveryRecord> {
    const r = await this.deliveries.requeue(id)
    if (r.result === 'not_found')
      throw new AppError('delivery_not_found', `No webhook delivery with id ${id}.`)
    if (r.result !== 'requeued') {
      throw new AppError('delivery_not_retryable', 'Only pending or failed deliveries can be retried.')
    }
    this.logger.log(`delivery ${id} re-queued by an operator`)
    this.worker.kick()
    return r.delivery
  }
}
