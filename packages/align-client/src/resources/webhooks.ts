import {
  anyObjectResponseSchema,
  createWebhookSchema,
  webhookListResponseSchema,
  webhookResponseSchema,
} from '../core/schemas.js'
import type { AlignCreateWebhookParams, AlignList, AlignRequestOptions, AlignWebhook } from '../types.js'
import { ApiResource } from './resource.js'

/** `/v0/webhooks`: register, list and delete webhook endpoints. */
export class WebhooksResource extends ApiResource {
  /** `POST /v0/webhooks`. Not retried on an unknown outcome: `list()` to check before registering again. */
  async create(body: AlignCreateWebhookParams, options?: AlignRequestOptions): Promise<AlignWebhook> {
    const data = this.validate(createWebhookSchema, body, 'webhook')
    const path = '/v0/webhooks'
    const response = await this.transport.request({ method: 'POST', path, body: data }, options)
    return this.parse(webhookResponseSchema, response, `POST ${path}`)
  }

  /** `GET /v0/webhooks`. Retried on 408/429/5xx, resets and attempt timeouts. */
  async list(options?: AlignRequestOptions): Promise<AlignList<AlignWebhook>> {
    const path = '/v0/webhooks'
    const response = await this.transport.request({ method: 'GET', path }, options)
    return this.parse(webhookListResponseSchema, response, `GET ${path}`)
  }

  /**
   * `DELETE /v0/webhooks/{id}`: Align answers with no body (a JSON object is accepted too); an unknown
   * id is an `AlignNotFoundError`. Retried like `list` (a retried delete may then answer 404).
   */
  async delete(webhookId: string, options?: AlignRequestOptions): Promise<void> {
    const path = `/v0/webhooks/${this.pathId(webhookId, 'webhook id')}`
    const response = await this.transport.request({ method: 'DELETE', path }, options)
    if (response.data !== undefined) this.parse(anyObjectResponseSchema, response, `DELETE ${path}`)
  }
}
