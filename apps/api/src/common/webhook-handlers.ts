import { Global, Injectable, Module } from '@nestjs/common'

/** A stored Align delivery handed to the feature that owns its event type. */
export type HandledDelivery = {
  id: string
  eventType: string
  /** Align's id of what the event is about (for `virtual_account.created`: the account's id) */
  entityId: string
  eventCreatedAt: Date
}

/**
 * What a handler made of a delivery: `processed` (applied; `outcome` says how) or `ignored` (kept,
 * with the reason in `outcome`). A handler that cannot finish throws; the delivery is then retried
 * with the inbound policy's backoff.
 */
export type HandlerResult = { status: 'processed' | 'ignored'; outcome: string }

export type WebhookEventHandler = (delivery: HandledDelivery, signal: AbortSignal) => Promise<HandlerResult>

/**
 * Which feature applies which Align event type (beyond `customer.kycs.updated`, which the webhooks
 * feature applies itself). Features register here when their module starts, so the webhooks feature
 * stores, claims and retries every delivery without importing the features that act on them
 * (features never import each other; see eslint.config.js).
 */
@Injectable()
export class WebhookHandlers {
  private readonly handlers = new Map<string, WebhookEventHandler>()

  register(eventType: string, handler: WebhookEventHandler): void {
    if (this.handlers.has(eventType)) throw new Error(`a handler for ${eventType} is registered already`)
    this.handlers.set(eventType, handler)
  }

  get(eventType: string): WebhookEventHandler | undefined {
    return this.handlers.get(eventType)
  }
}

@Global()
@Module({ providers: [WebhookHandlers], exports: [WebhookHandlers] })
export class WebhookHandlersModule {}
