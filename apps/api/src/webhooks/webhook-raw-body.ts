import { Inject, Injectable, type OnModuleInit } from '@nestjs/common'
import { HttpAdapterHost } from '@nestjs/core'
import type { FastifyInstance } from 'fastify'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'

/** Path of Align's webhook route (WebhooksController). */
export const ALIGN_WEBHOOK_PATH = '/v1/webhooks/align'

const WEBHOOKS_PREFIX = ALIGN_WEBHOOK_PATH.slice(0, ALIGN_WEBHOOK_PATH.lastIndexOf('/') + 1)

/** Internal media type that routes the webhook's body to the raw-bytes parser below. */
const RAW_WEBHOOK_TYPE = 'application/x-align-kyc-raw-webhook'

/**
 * Hands Align's webhook route its body as the exact bytes, whatever the Content-Type, so that the
 * signature is checked before anything else looks at the body: with Fastify's JSON parser a body
 * that is not JSON would be refused (400) before the route could answer 401 to a bad signature.
 * The request's content type is switched to an internal one for that route only; every other route
 * keeps the normal parsers (and the body limit applies as usual).
 */
@Injectable()
export class WebhookRawBody implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>()
    if (!fastify?.addContentTypeParser) return
    fastify.addContentTypeParser(
      RAW_WEBHOOK_TYPE,
      { parseAs: 'buffer', bodyLimit: this.config.bodyLimitBytes },
      (_req: unknown, body: Buffer, done: (err: Error | null, body?: Buffer) => void) => done(null, body),
    )
    fastify.addHook('onRequest', (request, _reply, done) => {
      // The prefix test first: Fastify builds a fresh routeOptions object on every access.
      if (
        request.method === 'POST' &&
        request.url.startsWith(WEBHOOKS_PREFIX) &&
        request.routeOptions.url === ALIGN_WEBHOOK_PATH
      ) {
        request.headers['content-type'] = RAW_WEBHOOK_TYPE
      }
      done()
    })
  }
}
