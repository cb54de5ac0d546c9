import type { components } from './generated/schema.js'

/** The service's RFC 9457 problem details (`application/problem+json`), as its OpenAPI document says. */
export type Problem = components['schemas']['ProblemDto']

/**
 * The documented problem codes (docs/api.md, "Error codes"). A code this client does not know yet (a
 * newer service) is kept as the string it is, hence `(string & {})`.
 */
export type ProblemCode = Problem['code'] | (string & {})

/** One invalid field of a `validation_failed` problem. */
export type FieldError = components['schemas']['FieldErrorDto']

/**
 * The code given to an error answer that carries no problem details (a proxy's HTML 502, an empty
 * body): the client never invents one of the service's codes.
 */
export const UNEXPECTED_RESPONSE = 'unexpected_response'

/**
 * A non-2xx answer from the service, carrying its problem details. `code` is the stable thing to
 * branch on; the extension members (`kycStatus`, `currency`, `requiredRails`) are set for the codes
 * that define them, and `problem` keeps the whole body for members added later.
 */
export class AlignKycProblemError extends Error {
  override readonly name = 'AlignKycProblemError'
  /** The HTTP status of the answer (also `problem.status` when the body is a problem). */
  readonly status: number
  /** The problem's `code`, or {@link UNEXPECTED_RESPONSE} when the body was not a problem. */
  readonly code: ProblemCode
  /** Human-readable explanation of this occurrence. */
  readonly detail: string
  /** Field errors of `validation_failed`; empty otherwise. */
  readonly errors: readonly FieldError[]
  /** `kyc_not_approved`: the customer's KYC status. */
  readonly kycStatus: Problem['kycStatus']
  /** `rail_not_approved`: the source currency asked for. */
  readonly currency: string | undefined
  /** `rail_not_approved`: the rails of which one must be approved for the currency. */
  readonly requiredRails: readonly string[] | undefined
  /** The service's `x-request-id` for this answer: quote it when reporting a problem. */
  readonly requestId: string | undefined
  /** The problem details as received, or undefined when the body was not a problem. */
  readonly problem: Problem | undefined
  /** The body as parsed when it was not a problem (text, or JSON of another shape). */
  readonly body: unknown

  constructor(response: Pick<Response, 'status' | 'statusText' | 'headers'>, body: unknown) {
    const problem = isProblemBody(body) ? body : undefined
    const detail =
      problem?.detail ??
      `The service answered ${response.status} ${response.statusText} without problem details`
    super(`${response.status} ${problem?.code ?? UNEXPECTED_RESPONSE}: ${detail}`)
    this.status = response.status
    this.code = problem?.code ?? UNEXPECTED_RESPONSE
    this.detail = detail
    this.errors = problem?.errors ?? []
    this.kycStatus = problem?.kycStatus
    this.currency = problem?.currency
    this.requiredRails = problem?.requiredRails
    this.requestId = response.headers.get('x-request-id') ?? undefined
    this.problem = problem
    this.body = problem ? undefined : body
  }
}

/** Whether `error` is an {@link AlignKycProblemError}, optionally with one of `codes`. */
export function isAlignKycProblem(error: unknown, ...codes: ProblemCode[]): error is AlignKycProblemError {
  return error instanceof AlignKycProblemError && (codes.length === 0 || codes.includes(error.code))
}

function isProblemBody(body: unknown): body is Problem {
  if (typeof body !== 'object' || body === null) return false
  const b = body as Record<string, unknown>
  return typeof b.code === 'string' && typeof b.status === 'number' && typeof b.detail === 'string'
}
