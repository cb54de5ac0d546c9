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
import { DEV_API_TOKEN, DEV_OPERATOR_TOKEN, type AppConfig } from './config/app-config.js'
import { AppError } from './common/app-error.js'
import { CLIENT_TOKEN_PATHS } from './common/client-tokens.js'
import { toProblem } from './common/problem.filter.js'
import { CONSOLE_PATH, setupConsole } from './console.js'
import {
  API_SECURITY_HEADERS,
  CONSOLE_SECURITY_HEADERS,
  DOCS_HTTP_SECURITY_HEADERS,
  DOCS_SECURITY_HEADERS,
} from './common/security-headers.js'
import { ZodValidationPipe } from './common/validation.js'
import { DOCS_PATH, setupOpenApi } from './openapi.js'

/** Builds the configured Nest application (not yet listening). */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const root = createRootLogger(config)
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    trustProxy: fastifyTrustProxy(config.trustProxy),
    genReqId: requestId,
  })
  logRequests(adapter.getInstance(), root)
  // JSON only: a text/plain body is refused with 415 rather than validated as a string.
  adapter.getInstance().removeContentTypeParser('text/plain')
  // One hook for the headers every answer carries: the request id and security headers (computed
  // once): the HTML documentation gets helmet's set (upgrade-insecure-requests only over https), the
  // JSON API the OWASP REST set, the operators' console its own CSP (security-headers.ts says why).
  const apiHeaders = Object.entries(API_SECURITY_HEADERS)
  const consoleHeaders = Object.entries(CONSOLE_SECURITY_HEADERS)
  const docsHttpsHeaders = Object.entries(DOCS_SECURITY_HEADERS)
  const docsHttpHeaders = Object.entries(DOCS_HTTP_SECURITY_HEADERS)
  const refusePreflight = preflightRefusal(config.corsOrigins)
  adapter.getInstance().addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id)
    const headers = isConsolePath(request.url)
      ? consoleHeaders
      : !request.url.startsWith(DOCS_PATH)
        ? apiHeaders
        : request.protocol === 'https'
          ? docsHttpsHeaders
          : docsHttpHeaders
    for (const [name, value] of headers) reply.header(name, value)
    // A CORS preflight that reaches this hook was not granted (CORS answers granted ones first).
    const origin = request.headers.origin
    if (request.method === 'OPTIONS' && origin && request.headers['access-control-request-method']) {
      const problem = toProblem(
        new AppError('origin_not_allowed', refusePreflight(origin, request.url)),
        request.url.split('?')[0],
      )
      reply.code(problem.status).header('content-type', 'application/problem+json; charset=utf-8')
      reply.send(JSON.stringify(problem))
      return
    }
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
  // Only when origins are configured: the CORS hook otherwise costs every request for nothing. Only
  // the routes a client token may call are opened (CLIENT_TOKEN_PATHS): every other route wants an
  // API token, which never belongs in a browser. An origin not in the list, or another route, gets
  // no CORS at all (false), so that its preflight reaches the hook above and is told why, rather
  // than a 204 without a grant.
  const cors = new NestLogger('Cors')
  if (config.corsOrigins.length) {
    const allowed = new Set(config.corsOrigins)
    const grant = {
      origin: (origin: string | undefined, cb: (e: Error | null, allow: boolean) => void) =>
        cb(null, origin !== undefined && allowed.has(origin)),
      methods: ['GET', 'POST'],
      allowedHeaders: ['authorization', 'content-type'],
      exposedHeaders: [REQUEST_ID_HEADER],
      maxAge: 600,
    }
    app.enableCors({
      delegator: (req: { url?: string }, cb: (e: Error | null, options: object) => void) =>
        cb(null, CLIENT_TOKEN_PATHS.test(req.url ?? '') ? grant : { origin: false }),
    } as never)
    cors.log(
      `browsers may call the client-token routes (kyc-sessions, kyc/status, kyc/events) from ${config.corsOrigins.join(', ')} (CORS_ORIGINS)`,
    )
  } else {
    cors.log('off: no browser origin may call the API (CORS_ORIGINS is unset)')
  }
  new NestLogger('Proxy').log(describeTrustProxy(config.trustProxy))
  app.useGlobalPipes(new ZodValidationPipe())
  setupOpenApi(app)
  await setupConsole(app, config)
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
    const operator = config.operatorKeys.includes(DEV_OPERATOR_TOKEN)
      ? ` "${DEV_API_TOKEN}", and "${DEV_OPERATOR_TOKEN}" as the operator (the console)`
      : ` "${DEV_API_TOKEN}"`
    new NestLogger('Auth').warn(
      `API_KEYS is unset: accepting the development token${operator} from the README (never in production)`,
    )
  }
  return app
}

/** /console, /console/... and /console?...: the console's files, not the JSON API. */
function isConsolePath(url: string): boolean {
  if (!url.startsWith(CONSOLE_PATH)) return false
  const next = url[CONSOLE_PATH.length]
  return next === undefined || next === '/' || next === '?'
}

/**
 * Fastify's trustProxy for TRUST_PROXY. A hop count is given as a function: Fastify ignores a bare
 * number (it cannot check the peer), while the contract offers one for proxies whose addresses are
 * not known; it trusts the nearest N hops, as Express's `trust proxy` N does.
 */
function fastifyTrustProxy(
  trust: AppConfig['trustProxy'],
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust === 'number') return (_address, hop) => hop < trust
  return trust
}

function describeTrustProxy(trust: AppConfig['trustProxy']): string {
  if (trust === false)
    return 'X-Forwarded-* headers are ignored: the client address is the connection peer (TRUST_PROXY off)'
  if (typeof trust === 'number')
    return (
      `trusting X-Forwarded-* from the nearest ${trust} hop(s) (TRUST_PROXY=${trust}); ` +
      'only safe if the service is reachable through those proxies alone'
    )
  return `trusting X-Forwarded-* from ${trust.join(', ')} (TRUST_PROXY)`
}

/**
 * The detail of a refused preflight: whether CORS is off, this origin is not in the list, or the
 * route is not one browsers may call.
 */
function preflightRefusal(origins: string[]): (origin: string, url: string) => string {
  const allowed = new Set(origins)
  return (origin, url) =>
    !origins.length
      ? `The origin ${origin} may not call this API from a browser: CORS_ORIGINS is unset, so no origin may.`
      : !allowed.has(origin)
        ? `The origin ${origin} may not call this API from a browser: it is not in CORS_ORIGINS.`
        : `Browsers may call only POST /v1/customers/:id/kyc-sessions, GET .../kyc/status and GET .../kyc/events ` +
          `(with a client token); call ${url.split('?')[0]} from your backend.`
}
