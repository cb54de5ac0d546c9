import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common'
import {
  AlignApiError,
  AlignConnectionError,
  AlignError,
  AlignResponseError,
  AlignTimeoutError,
} from '@align-kyc/align-client'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { databaseFault, type DatabaseFault } from '../database/database-errors.js'
import { DatabaseHealth } from '../database/database-health.js'
import { AppError, ERROR_TABLE, type ErrorCode, type ProblemMembers } from './app-error.js'

/** Seconds a client is told to wait when Align is unavailable. */
const UPSTREAM_RETRY_AFTER_SECONDS = 5

/** What a client is told when the database fails for a reason that passes (see database-errors.ts). */
const DATABASE_UNAVAILABLE: Record<DatabaseFault['kind'], { detail: string; retryAfterSeconds: number }> = {
  unreachable: {
    detail: 'The database cannot be reached right now; try again shortly.',
    retryAfterSeconds: 5,
  },
  disk_full: {
    detail: 'The database is out of disk space, so this change was not saved; try again later.',
    retryAfterSeconds: 30,
  },
  resources: {
    detail:
      'The database is out of resources right now, so this request was not completed; try again shortly.',
    retryAfterSeconds: 5,
  },
}

/** A database outage as the API reports it: 503 database_unavailable with Retry-After. */
export function databaseUnavailable(fault: DatabaseFault): AppError {
  const { detail, retryAfterSeconds } = DATABASE_UNAVAILABLE[fault.kind]
  return new AppError('database_unavailable', detail, { retryAfterSeconds })
}

export type Problem = {
  type: string
  title: string
  status: number
  detail: string
  code: ErrorCode
  errors?: { field: string; message: string }[]
  instance?: string
} & ProblemMembers

/** Maps anything thrown to an AppError. Align failures become 502/503, never 500. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err
  if (err instanceof AlignTimeoutError || err instanceof AlignConnectionError) {
    return new AppError('upstream_unavailable', `${alignUnavailable(err)}; try again shortly.`, {
      retryAfterSeconds: UPSTREAM_RETRY_AFTER_SECONDS,
    })
  }
  if (err instanceof AlignApiError) {
    return new AppError('upstream_error', `Align answered ${err.status}${err.code ? ` (${err.code})` : ''}.`)
  }
  if (err instanceof AlignResponseError)
    return new AppError('upstream_error', 'Align answered with an unexpected body.')
  if (err instanceof AlignError) return new AppError('upstream_error', 'The request to Align failed.')
  const fault = databaseFault(err)
  if (fault) return databaseUnavailable(fault)
  if (err instanceof HttpException) return fromHttpException(err)
  const e = err as { statusCode?: number; code?: string; message?: string }
  // Errors raised by Fastify itself before a route runs (body parsing, size limit, media type).
  if (typeof e?.statusCode === 'number' && e.statusCode < 500) {
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return new AppError('payload_too_large', 'The request body is too large.')
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return new AppError('unsupported_media_type', 'Send JSON with Content-Type: application/json.')
    if (
      e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
      e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
      e instanceof SyntaxError
    )
      return new AppError('malformed_json', 'The request body is not valid JSON.')
    return new AppError('validation_failed', e.message ?? 'Bad request.')
  }
  return new AppError('internal_error', 'An unexpected error occurred.')
}

/** What Node's connection error codes mean, for the problem's detail. */
const CONNECTION_FAILURES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'Could not connect to Align: connection refused',
  ENOTFOUND: 'Could not connect to Align: its host name does not resolve',
  EAI_AGAIN: 'Could not connect to Align: its host name could not be resolved',
  EHOSTUNREACH: 'Could not connect to Align: host unreachable',
  ENETUNREACH: 'Could not connect to Align: network unreachable',
  ECONNRESET: 'The connection to Align was reset',
  EPIPE: 'The connection to Align was closed',
}

/** Says what happened: could not connect (and why), or connected and got no answer in time. */
function alignUnavailable(err: AlignTimeoutError | AlignConnectionError): string {
  if (err instanceof AlignTimeoutError)
    return `The request to Align timed out: no answer within ${err.timeoutMs} ms`
  const known = err.errno ? CONNECTION_FAILURES[err.errno] : undefined
  if (known) return `${known} (${err.errno})`
  return `The connection to Align failed${err.errno ? ` (${err.errno})` : ''}`
}

function fromHttpException(err: HttpException): AppError {
  const status = err.getStatus()
  if (status === 404) return new AppError('not_found', 'No such route.')
  if (status === 401) return new AppError('unauthorized', 'Send Authorization: Bearer <token>.')
  if (status === 415)
    return new AppError('unsupported_media_type', 'Send JSON with Content-Type: application/json.')
  if (status === 413) return new AppError('payload_too_large', 'The request body is too large.')
  if (status === 429) return new AppError('rate_limited', 'Too many requests.', { retryAfterSeconds: 60 })
  if (status === 400) {
    // Nest's Fastify adapter wraps body-parser failures in a BadRequestException.
    const cause = (err as { cause?: { code?: string } }).cause
    if (cause instanceof SyntaxError || cause?.code?.startsWith('FST_ERR_CTP_') || /JSON/.test(err.message))
      return new AppError('malformed_json', 'The request body is not valid JSON.')
    return new AppError('validation_failed', err.message)
  }
  if (status < 500) return new AppError('validation_failed', err.message)
  return new AppError('internal_error', 'An unexpected error occurred.')
}

export function toProblem(err: AppError, instance?: string): Problem {
  const { status, title } = ERROR_TABLE[err.code]
  return {
    // A URN: identifies the problem type without pointing at a host this project does not own.
    type: `urn:align-kyc:problem:${err.code}`,
    title,
    status,
    detail: err.detail,
    code: err.code,
    ...(err.extra.errors ? { errors: err.extra.errors } : {}),
    ...err.extra.members,
    ...(instance ? { instance } : {}),
  }
}

/** The one global filter: every error leaves as application/problem+json. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors')

  constructor(private readonly database: DatabaseHealth) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp()
    const reply = ctx.getResponse<FastifyReply>()
    const request = ctx.getRequest<FastifyRequest>()
    const error = toAppError(exception)
    if (error.code === 'internal_error') {
      this.logger.error({ msg: 'unhandled error', reqId: request.id, err: exception })
    } else if (error.code === 'database_unavailable') {
      // Only the classified reason: a driver's message may quote the statement or its values.
      const fault = this.database.observe(exception)
      this.logger.warn({ msg: `database_unavailable: ${fault?.reason ?? error.detail}`, reqId: request.id })
    } else if (error.status >= 500) {
      this.logger.warn({
        msg: `${error.code}: ${exception instanceof Error ? exception.message : String(exception)}`,
        reqId: request.id,
      })
    }
    if (error.extra.retryAfterSeconds !== undefined)
      reply.header('retry-after', String(error.extra.retryAfterSeconds))
    reply
      .status(error.status)
      .header('content-type', 'application/problem+json; charset=utf-8')
      .send(JSON.stringify(toProblem(error, request.url.split('?')[0])))
  }
}
