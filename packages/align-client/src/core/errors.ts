/**
 * The client's error family (stripe-node / openai-node style):
 *
 * | class                           | status | when                                                      |
 * |---------------------------------|--------|-----------------------------------------------------------|
 * | `AlignBadRequestError`          | 400    | Align rejected the request body or query                  |
 * | `AlignAuthenticationError`      | 401    | missing or wrong API key                                  |
 * | `AlignPermissionError`          | 403    | the key may not do this (e.g. simulate in production)     |
 * | `AlignNotFoundError`            | 404    | unknown customer / webhook                                |
 * | `AlignConflictError`            | 409    | e.g. a customer with that email already exists            |
 * | `AlignUnprocessableEntityError` | 422    | semantically invalid request                              |
 * | `AlignRateLimitError`           | 429    | rate limited (retried for GET/PUT/DELETE)                 |
 * | `AlignServerError`              | 5xx    | Align failed (retried for GET/PUT/DELETE)                 |
 * | `AlignApiError`                 | other  | any other non-2xx status (408 is retried like 5xx)        |
 * | `AlignTimeoutError`             | —      | no answer within the attempt timeout or total deadline    |
 * | `AlignConnectionError`          | —      | socket-level failure (reset, refused, DNS)                |
 * | `AlignAbortError`               | —      | the caller's AbortSignal fired                            |
 * | `AlignResponseError`            | 2xx    | Align answered something that is not the documented shape |
 * | `AlignValidationError`          | —      | bad input caught before anything was sent                 |
 * | `AlignWebhookParseError`        | —      | a webhook body that is not a valid Align event            |
 *
 * No error carries the API key: messages are built from status, code and Align's message only, the
 * transport redacts the key from any text it stores, and the underlying axios error (whose config
 * holds the Authorization header) is never attached as `cause`.
 */

/** Base class of every error this package throws. */
export class AlignError extends Error {
  override readonly name: string = 'AlignError'
}

/** Header values as received (lower-cased names). */
type HeaderBag = Record<string, unknown>

/** Reads Align's request id from the usual response headers, if present. */
export function readRequestId(headers: HeaderBag | undefined): string | undefined {
  if (!headers) return undefined
  for (const name of ['x-request-id', 'request-id', 'x-align-request-id']) {
    const value = headers[name]
    if (typeof value === 'string' && value.length > 0) return value
  }
  return undefined
}

/** Align answered with a non-2xx status. `body` is the parsed JSON (`{message, code}`) or the raw text. */
export class AlignApiError extends AlignError {
  override readonly name: string = 'AlignApiError'
  /** HTTP status Align answered with. */
  readonly status: number
  /** Align's machine-readable `code`, when the body had one. */
  readonly code: string | undefined
  /** Align's request id from the response headers, for support tickets. */
  readonly requestId: string | undefined
  /** Parsed error body, or the raw text when it was not JSON. */
  readonly body: unknown

  constructor(status: number, body: unknown, message: string, requestId?: string) {
    super(message)
    this.status = status
    this.body = body
    this.requestId = requestId
    const code = isRecord(body) ? body['code'] : undefined
    this.code = typeof code === 'string' ? code : undefined
  }

  /**
   * The one factory that maps a status to its subclass.
   * @param status HTTP status (non-2xx)
   * @param body parsed JSON body, or raw text when it was not JSON
   * @param headers response headers (for the request id)
   * @param context `METHOD /path` of the request, used in the message
   */
  static generate(status: number, body: unknown, headers?: HeaderBag, context?: string): AlignApiError {
    const requestId = readRequestId(headers)
    const alignMessage = isRecord(body) && typeof body['message'] === 'string' ? body['message'] : undefined
    const code = isRecord(body) && typeof body['code'] === 'string' ? body['code'] : undefined
    const message =
      `${context ? `${context} -> ` : ''}Align API ${status}` +
      `${code ? ` ${code}` : ''}${alignMessage ? `: ${alignMessage}` : ''}` +
      `${requestId ? ` (request ${requestId})` : ''}`
    const Ctor = errorClassFor(status)
    return new Ctor(status, body, message, requestId)
  }
}

/** 400: Align rejected the request. */
export class AlignBadRequestError extends AlignApiError {
  override readonly name: string = 'AlignBadRequestError'
}
/** 401: missing or wrong API key. */
export class AlignAuthenticationError extends AlignApiError {
  override readonly name: string = 'AlignAuthenticationError'
}
/** 403: the API key may not perform this operation. */
export class AlignPermissionError extends AlignApiError {
  override readonly name: string = 'AlignPermissionError'
}
/** 404: the resource does not exist. */
export class AlignNotFoundError extends AlignApiError {
  override readonly name: string = 'AlignNotFoundError'
}
/** 409: conflicts with existing state (e.g. duplicate customer email). */
export class AlignConflictError extends AlignApiError {
  override readonly name: string = 'AlignConflictError'
}
/** 422: semantically invalid request. */
export class AlignUnprocessableEntityError extends AlignApiError {
  override readonly name: string = 'AlignUnprocessableEntityError'
}
/** 429: rate limited. Retried (honouring `Retry-After`) for GET/PUT/DELETE. */
export class AlignRateLimitError extends AlignApiError {
  override readonly name: string = 'AlignRateLimitError'
}
/** 5xx: Align failed. Retried for GET/PUT/DELETE; for POST the outcome is unknown. */
export class AlignServerError extends AlignApiError {
  override readonly name: string = 'AlignServerError'
}

function errorClassFor(status: number): typeof AlignApiError {
  switch (status) {
    case 400:
      return AlignBadRequestError
    case 401:
      return AlignAuthenticationError
    case 403:
      return AlignPermissionError
    case 404:
      return AlignNotFoundError
    case 409:
      return AlignConflictError
    case 422:
      return AlignUnprocessableEntityError
    case 429:
      return AlignRateLimitError
    default:
      return status >= 500 && status <= 599 ? AlignServerError : AlignApiError
  }
}

/**
 * No answer in time: either one attempt exceeded the attempt timeout and no retry was allowed or
 * possible, or the total deadline (`timeoutMs`, retries included) ran out.
 * For a POST this means the outcome is unknown: look the result up before trying again.
 */
export class AlignTimeoutError extends AlignError {
  override readonly name: string = 'AlignTimeoutError'
  /** The limit that fired, in ms. */
  readonly timeoutMs: number
  /** How many attempts were made. */
  readonly attempts: number
  constructor(message: string, timeoutMs: number, attempts: number) {
    super(message)
    this.timeoutMs = timeoutMs
    this.attempts = attempts
  }
}

/** A socket-level failure (reset, refused, DNS). `errno` is Node's code, e.g. `ECONNRESET`. */
export class AlignConnectionError extends AlignError {
  override readonly name: string = 'AlignConnectionError'
  /** Node's error code, e.g. `ECONNRESET`, `ECONNREFUSED`. */
  readonly errno: string | undefined
  /** How many attempts were made. */
  readonly attempts: number
  constructor(message: string, errno: string | undefined, attempts: number) {
    super(message)
    this.errno = errno
    this.attempts = attempts
  }
}

/** The caller's AbortSignal fired; nothing more is attempted. For a POST the outcome is unknown. */
export class AlignAbortError extends AlignError {
  override readonly name: string = 'AlignAbortError'
}

/** Align answered 2xx with something that is not the documented shape (non-JSON, missing fields). */
export class AlignResponseError extends AlignError {
  override readonly name: string = 'AlignResponseError'
  /** HTTP status of the response. */
  readonly status: number
  /** The raw response text (API key redacted). */
  readonly rawBody: string
  /** Align's request id, if the response had one. */
  readonly requestId: string | undefined
  /** What was wrong, as `{path, message}` pairs (empty for non-JSON). */
  readonly issues: { path: string; message: string }[]
  constructor(
    message: string,
    status: number,
    rawBody: string,
    requestId?: string,
    issues: { path: string; message: string }[] = [],
  ) {
    super(message)
    this.status = status
    this.rawBody = rawBody
    this.requestId = requestId
    this.issues = issues
  }
}

/** Input rejected before sending: nothing went over the wire. */
export class AlignValidationError extends AlignError {
  override readonly name: string = 'AlignValidationError'
  /** Each problem, with a dotted path into the input (`''` for the input itself). */
  readonly errors: { path: string; message: string }[]
  constructor(message: string, errors: { path: string; message: string }[]) {
    super(message)
    this.errors = errors
  }
}

/** A webhook body that is not JSON or lacks `event_type`, `entity_id` or a valid `created_at`. */
export class AlignWebhookParseError extends AlignError {
  override readonly name: string = 'AlignWebhookParseError'
}

/**
 * True when Align refused to open a virtual account because the customer's KYC is not approved.
 *
 * Align documents the refusal only as a `403` (the `@tolbel/align` SDK: "Creating a virtual account
 * will fail with a 403 error if the customer hasn't completed KYC verification"), not its code. So
 * this matches, for an `AlignApiError`:
 * 1. a `403` whose `code` or `message` mentions KYC (the emulator answers `403 kyc_not_approved`),
 *    or that carries neither a code nor a message (a bare 403);
 * 2. a `400`, `409` or `422` whose `code` mentions KYC, in case Align answers another status.
 * Anything else (other errors, a 403 about something else, non-Align errors) is false. Only
 * meaningful for an error of `virtualAccounts.create`.
 */
export function isAlignKycRefusal(error: unknown): boolean {
  if (!(error instanceof AlignApiError)) return false
  const mentionsKyc = (text: string | undefined) => text !== undefined && /kyc/i.test(text)
  const body = isRecord(error.body) ? error.body : {}
  const message = typeof body['message'] === 'string' ? body['message'] : undefined
  if (error.status === 403) {
    return (
      mentionsKyc(error.code) || mentionsKyc(message) || (error.code === undefined && message === undefined)
    )
  }
  return [400, 409, 422].includes(error.status) && mentionsKyc(error.code)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
