import { Logger as NestLogger } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify'
import { AppModule } from './app.module.js'
import {
  createRootLogger,
  logRequests,
  PinoNestLogger,
  REQUEST_ID_HEADER,
  requestId,
} from './common/logging.js'
import type { AppConfig } from './config/app-config.js'
import { API_SECURITY_HEADERS, DOCS_SECURITY_HEADERS } from './common/security-headers.js'
import { ZodValidationPipe } from './common/validation.js'
import { DOCS_PATH, setupOpenApi } from './openapi.js'

/** Builds the configured Nest application (not yet listening). */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const root = createRootLogger(config)
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    trustProxy: true,
    genReqId: requestId,
  })
  logRequests(adapter.getInstance(), root)
  // JSON only: a text/plain body is refused with 415 rather than validated as a string.
  adapter.getInstance().removeContentTypeParser('text/plain')
  // One hook for the headers every answer carries: the request id and security headers (computed
  // once): the HTML documentation gets helmet's set, the JSON API the OWASP REST set.
  const apiHeaders = Object.entries(API_SECURITY_HEADERS)
  const docsHeaders = Object.entries(DOCS_SECURITY_HEADERS)
  adapter.getInstance().addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id)
    const headers = request.url.startsWith(DOCS_PATH) ? docsHeaders : apiHeaders
    for (const [name, value] of headers) reply.header(name, value)
    done()
  })
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    // Fastify's own JSON parser (secure-json-parse, bodyLimit): Nest's wrapper around the same parser
    // adds a buffer copy and a promise per request and nothing we use.
    bodyParser: false,
    bufferLogs: true,
    // A failed start-up must print one line (main.ts), not Nest's buffered log and the error's dump.
    autoFlushLogs: false,
    abortOnError: false,
  })
  app.useLogger(new PinoNestLogger(root))
  app.flushLogs()
  // Only when origins are configured: the CORS hook otherwise costs every request for nothing.
  if (config.corsOrigins.length) app.enableCors({ origin: config.corsOrigins })
  app.useGlobalPipes(new ZodValidationPipe())
  setupOpenApi(app)
  if (config.rateLimitPerMinute > 0) {
    const where = config.rateLimitRedisUrl
      ? 'counted in Redis, shared by every instance'
      : 'counted in this process (set RATE_LIMIT_REDIS_URL to share it between instances)'
    const log = new NestLogger('RateLimit')
    const line = `${config.rateLimitPerMinute} requests per minute per token, ${where}`
    if (!config.rateLimitRedisUrl && config.nodeEnv === 'production') log.warn(line)
    else log.log(line)
  }
  if (config.usingDevToken) {
    new NestLogger('Auth').warn(
      'API_KEYS is unset: accepting the development token from the README (never in production)',
    )
  }
  return app
}
