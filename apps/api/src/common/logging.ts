import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { LoggerService } from '@nestjs/common'
import type { FastifyInstance } from 'fastify'
import { pino, type Logger as Pino } from 'pino'
import type { AppConfig } from '../config/app-config.js'

/** The header that carries the request id in and out. */
export const REQUEST_ID_HEADER = 'x-request-id'
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** Fastify's request id: a caller's well-formed x-request-id, else a new UUID. */
export function requestId(req: IncomingMessage): string {
  const incoming = req.headers[REQUEST_ID_HEADER]
  return typeof incoming === 'string' && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID()
}

/** Secrets and personal data that must never reach a log line, wherever they appear in a logged object. */
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

/** The process's one pino logger: JSON lines, redacted. */
export function createRootLogger(config: Pick<AppConfig, 'logLevel'>): Pino {
  return pino({ level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' } })
}

/**
 * One line per request, written when the response is sent: request id, method, path (the query string
 * is dropped: it can hold an email), status and time. Bodies and headers are never logged.
 *
 * Done as a Fastify hook on the root pino logger rather than through nestjs-pino's pino-http
 * middleware: that middleware routes every request through @fastify/middie and builds a child logger
 * per request, about a tenth of the warm path's CPU in the benchmark profile; and its default route
 * pattern is not matched by Nest 12's Fastify adapter at all (nothing was logged).
 */
export function logRequests(fastify: FastifyInstance, root: Pino): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const statusCode = reply.statusCode
    const level = statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info'
    if (root.isLevelEnabled(level)) {
      root[level](
        {
          reqId: request.id,
          req: { method: request.method, path: request.url.split('?')[0] },
          res: { statusCode },
          responseTime: Math.round(reply.elapsedTime * 100) / 100,
        },
        'request completed',
      )
    }
    done()
  })
}

/** Nest's LoggerService on pino: Nest's `new Logger(context)` calls end up as JSON lines with `context`. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly root: Pino) {}

  log(message: unknown, ...rest: unknown[]) {
    this.write('info', message, rest)
  }
  error(message: unknown, ...rest: unknown[]) {
    this.write('error', message, rest)
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.write('warn', message, rest)
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.write('debug', message, rest)
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.write('trace', message, rest)
  }
  fatal(message: unknown, ...rest: unknown[]) {
    this.write('fatal', message, rest)
  }

  private write(
    level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace',
    message: unknown,
    rest: unknown[],
  ) {
    if (!this.root.isLevelEnabled(level)) return
    // Nest passes the context last; an error's stack (for `error`) may come before it.
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined
    const stack = level === 'error' && typeof rest[0] === 'string' && rest.length > 1 ? rest[0] : undefined
    if (message instanceof Error) this.root[level]({ context, err: message }, message.message)
    else if (typeof message === 'object' && message !== null) this.root[level]({ context, ...message })
    else this.root[level]({ context, ...(stack ? { stack } : {}) }, String(message))
  }
}
