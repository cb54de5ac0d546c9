import { randomUUID } from 'node:crypto'
import { Inject, Injectable, Logger } from '@nestjs/common'
import { AppError } from '../common/app-error.js'
import { APP_CONFIG } from '../config/config.module.js'
import { isProduction, type AppConfig } from '../config/app-config.js'
import { EndpointSecrets } from './endpoint-secrets.js'
import { EVENTS_POLICY } from './events-policy.js'
import { decodeFeedCursor, encodeFeedCursor } from './feed-cursor.js'
import type { EventType } from './outbox.js'
import { checkEndpointUrl } from './url-guard.js'
import {
  WebhookEndpointsRepository,
  type EndpointPatch,
  type EndpointRecord,
  type OutboundDeliveryRecord,
  type OutboundStatus,
} from './webhook-endpoints.repository.js'

const notFound = (id: string) => new AppError('endpoint_not_found', `No webhook endpoint ${id}.`)

@Injectable()
export class WebhookEndpointsService {
  private readonly logger = new Logger('WebhookEndpoints')
  private readonly production: boolean

  constructor(
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly secrets: EndpointSecrets,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.production = isProduction(config)
  }

  /** Registers an endpoint; the answer is the only place its secret appears. */
  async create(b: {
    url: string
    eventTypes?: EventType[]
    description?: string
  }): Promise<{ endpoint: EndpointRecord; secret: string }> {
    await this.checkUrl(b.url)
    const { secret, sealed } = this.secrets.create()
    const endpoint = await this.endpoints.create({
      id: randomUUID(),
      url: b.url,
      eventTypes: b.eventTypes ?? [],
      description: b.description ?? null,
      sealedSecret: sealed,
    })
    this.logger.log(`endpoint ${endpoint.id} registered`)
    return { endpoint, secret }
  }

  list(): Promise<EndpointRecord[]> {
    return this.endpoints.list()
  }

  async get(id: string): Promise<EndpointRecord> {
    return (await this.endpoints.find(id)) ?? Promise.reject(notFound(id))
  }

  async update(id: string, patch: EndpointPatch): Promise<EndpointRecord> {
    if (patch.url !== undefined) await this.checkUrl(patch.url)
    return (await this.endpoints.update(id, patch)) ?? Promise.reject(notFound(id))
  }

  async delete(id: string): Promise<void> {
    if (!(await this.endpoints.delete(id))) throw notFound(id)
  }

  /** A new secret; the previous one keeps signing (a second signature) for 24 h. */
  async rotateSecret(id: string): Promise<string> {
    const { secret, sealed } = this.secrets.create()
    if (!(await this.endpoints.rotateSecret(id, sealed, EVENTS_POLICY.previousSecretMs))) throw notFound(id)
    this.logger.log(`endpoint ${id}: secret rotated`)
    return secret
  }

  async deliveries(
    id: string,
    q: { status?: OutboundStatus; limit?: number; cursor?: string },
  ): Promise<{ items: OutboundDeliveryRecord[]; nextCursor: string | null }> {
    const beforePosition = q.cursor === undefined ? undefined : decodeFeedCursor(q.cursor, 'cursor')
    await this.get(id)
    const page = await this.endpoints.deliveries(id, {
      status: q.status,
      limit: q.limit ?? 20,
      beforePosition,
    })
    const last = page.items.at(-1)
    return { items: page.items, nextCursor: page.hasMore && last ? encodeFeedCursor(last.position) : null }
  }

  async retry(id: string, eventId: string): Promise<void> {
    await this.get(id)
    const result = await this.endpoints.requeue(id, eventId, this.config.events.retryForMs)
    if (result === 'not_found')
      throw new AppError(
        'endpoint_delivery_not_found',
        `Event ${eventId} was not delivered to endpoint ${id}.`,
      )
    if (result === 'not_retryable')
      throw new AppError('delivery_not_retryable', 'Only a failed delivery can be re-queued.')
  }

  private async checkUrl(url: string): Promise<void> {
    const problem = await checkEndpointUrl(url, this.production)
    if (problem)
      throw new AppError('url_not_allowed', problem, { errors: [{ field: 'url', message: problem }] })
  }
}
