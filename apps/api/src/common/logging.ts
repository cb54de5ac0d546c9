import { randomUUID } from 'node:crypto'
import { RequestMethod } from '@nestjs/common'
import type { IncomingMessage } from 'node:http'
import type { Params } from 'nestjs-pino'
import type { AppConfig } from '../config/app-config.js'

/** The header that carries the request id in and out. */
export const REQUEST_ID_HEADER = 'x-request-id'
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * Fastify's request id: a caller's well-formed x-request-id, else a new UUID. pino-http (through
 * nestjs-pino) reuses it, and app.factory echoes it on every response.
 */
export function requestId(req: IncomingMessage): string {
  const incoming = req.headers[REQUEST_ID_HEADER]
  return typeof incoming === 'string' && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID()
}

/** Secrets that must never reach a log line, wherever they appear in a logged object. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hmac-signature"]',
  'headers.authorization',
  '*.apiKey',
  '*.api_key',
  '*.password',
  '*.email',
  '*.firstName',
  '*.lastName',
  '*.first_name',
  '*.last_name',
]

/**
 * nestjs-pino settings: JSON lines, one per request with its id, method, path (query strings are
 * dropped: they can hold emails), status and time. Bodies are never logged.
 */
export function loggerParams(config: Pick<AppConfig, 'logLevel'>): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: String(req.url).split('?')[0],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      quietReqLogger: true,
    },
    renameContext: 'context',
    // nestjs-pino's default route pattern is not matched by Nest 12's Fastify adapter (no request
    // was logged): '*' is.
    forRoutes: [{ path: '*', method: RequestMethod.ALL }],
  }
}
