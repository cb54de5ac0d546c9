/** Stable, machine-readable error codes of the REST API (the `code` of a problem response). */
export type ErrorCode =
  | 'validation_failed'
  | 'malformed_json'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'unauthorized'
  | 'insufficient_scope'
  | 'origin_not_allowed'
  | 'not_found'
  | 'customer_not_found'
  | 'delivery_not_found'
  | 'endpoint_not_found'
  | 'endpoint_delivery_not_found'
  | 'url_not_allowed'
  | 'kyc_already_approved'
  | 'customer_redacted'
  | 'kyc_not_approved'
  | 'rail_not_approved'
  | 'virtual_account_not_found'
  | 'delivery_not_retryable'
  | 'invalid_signature'
  | 'invalid_webhook'
  | 'rate_limited'
  | 'upstream_error'
  | 'upstream_unavailable'
  | 'database_unavailable'
  | 'console_not_built'
  | 'internal_error'

/** The single table from error code to HTTP status and problem title. */
export const ERROR_TABLE: Readonly<Record<ErrorCode, { status: number; title: string }>> = {
  validation_failed: { status: 400, title: 'Request validation failed' },
  malformed_json: { status: 400, title: 'Malformed JSON body' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  payload_too_large: { status: 413, title: 'Request body too large' },
  unauthorized: { status: 401, title: 'Missing or invalid bearer token' },
  insufficient_scope: { status: 403, title: 'The token may not call this route' },
  origin_not_allowed: { status: 403, title: 'Origin not allowed' },
  not_found: { status: 404, title: 'Not found' },
  customer_not_found: { status: 404, title: 'Customer not found' },
  delivery_not_found: { status: 404, title: 'Webhook delivery not found' },
  endpoint_not_found: { status: 404, title: 'Webhook endpoint not found' },
  endpoint_delivery_not_found: { status: 404, title: 'No delivery of this event to this endpoint' },
  url_not_allowed: { status: 400, title: 'Webhook endpoint URL not allowed' },
  kyc_already_approved: { status: 409, title: 'KYC already approved' },
  customer_redacted: { status: 409, title: "The customer's personal data was erased" },
  kyc_not_approved: { status: 409, title: 'KYC not approved' },
  rail_not_approved: { status: 409, title: 'No approved payment rail for the currency' },
  virtual_account_not_found: { status: 404, title: 'Virtual account not found' },
  delivery_not_retryable: { status: 409, title: 'Webhook delivery cannot be retried' },
  invalid_signature: { status: 401, title: 'Invalid webhook signature' },
  invalid_webhook: { status: 400, title: 'Malformed webhook body' },
  rate_limited: { status: 429, title: 'Too many requests' },
  upstream_error: { status: 502, title: 'Align answered with an error' },
  upstream_unavailable: { status: 503, title: 'Align is unavailable' },
  database_unavailable: { status: 503, title: 'The database is unavailable' },
  console_not_built: { status: 503, title: "The operators' console is not built" },
  internal_error: { status: 500, title: 'Internal error' },
}

/** The problem's extension members this API uses; each is documented on ProblemDto. */
export type ProblemMembers = {
  kycStatus?: string
  currency?: string
  requiredRails?: readonly string[]
}

/** One problem with one field of the input. */
export type FieldError = { field: string; message: string }

/**
 * The service's error: services throw this (never HttpException); the global filter turns it into
 * an RFC 9457 problem through ERROR_TABLE.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extra: {
      errors?: FieldError[]
      retryAfterSeconds?: number
      /** Extension members of the problem (RFC 9457 section 3.2), e.g. `kycStatus`. */
      members?: ProblemMembers
    } = {},
  ) {
    super(detail)
    this.name = 'AppError'
  }

  get status(): number {
    return ERROR_TABLE[this.code].status
  }
}
