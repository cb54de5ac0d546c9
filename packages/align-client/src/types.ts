/**
 * Wire-format (snake_case) types of Align's API, as documented for the `@tolbel/align` SDK.
 *
 * Response types are deliberately tolerant: enum-like fields are typed as the documented union
 * *or any other string*, because Align may add values and the client keeps whatever it receives
 * rather than failing. Extra fields Align sends are kept on the object at runtime but not typed.
 */

/** A documented literal union that still accepts, and keeps, values Align adds later. */
export type Tolerant<T extends string> = T | (string & {})

/** Which Align deployment a client talks to. */
export type AlignEnvironment = 'sandbox' | 'production'

/** Base URL of each Align environment. */
export const ALIGN_BASE_URLS: Readonly<Record<AlignEnvironment, string>> = Object.freeze({
  sandbox: 'https://api-sandbox.alignlabs.dev',
  production: 'https://api.alignlabs.dev',
})

/** Kind of customer: a person (`individual`) or a business (`corporate`). */
export type AlignCustomerType = 'individual' | 'corporate'

/** Overall KYC status of a customer. */
export type AlignKycStatus = 'not_started' | 'pending' | 'approved' | 'rejected'

/** Finer-grained KYC state; `null` when Align has nothing more to say. */
export type AlignKycSubStatus =
  'kyc_form_submission_started' | 'kyc_form_submission_accepted' | 'kyc_form_resubmission_required'

/** KYC status of one currency on its payment rails. `payment_rails` is a string or a list of them. */
export type AlignStatusBreakdownEntry = {
  currency: string
  payment_rails: string | string[]
  status: Tolerant<AlignKycStatus>
}

/** The `kycs` block of a customer. */
export type AlignCustomerKycs = {
  status: Tolerant<AlignKycStatus>
  sub_status: Tolerant<AlignKycSubStatus> | null
  /** Hosted KYC flow link; expires after a time Align does not document. */
  kyc_flow_link?: string | null
  status_breakdown?: AlignStatusBreakdownEntry[]
}

/** A postal address as Align returns it (fields optional; others are kept untyped). */
export type AlignAddress = {
  street_line_1?: string
  street_line_2?: string
  city?: string
  state?: string
  postal_code?: string
  country?: string
}

/** An Align customer (`GET /v0/customers/{id}`). */
export type AlignCustomer = {
  customer_id: string
  email: string
  type: Tolerant<AlignCustomerType>
  first_name?: string | null
  last_name?: string | null
  company_name?: string | null
  address?: AlignAddress | null
  kycs?: AlignCustomerKycs | null
}

/** Body of `POST /v0/customers`. Individuals need first and last name; corporates need company_name. */
export type AlignCreateCustomerParams =
  | { email: string; type: 'individual'; first_name: string; last_name: string; company_name?: string }
  | { email: string; type: 'corporate'; company_name: string; first_name?: string; last_name?: string }

/** Query of `GET /v0/customers`. */
export type AlignListCustomersParams = { email?: string }

/** Align's list envelope. */
export type AlignList<T> = { items: T[] }

/** A document attached to a customer (`PUT /v0/customers/{id}`). */
export type AlignCustomerDocument = { file_id: string; purpose: string; description?: string }

/** Body of `PUT /v0/customers/{id}`. */
export type AlignUpdateCustomerParams = { documents: AlignCustomerDocument[] }

/** Response of `PUT /v0/customers/{id}`: an empty object, as Align documents (extra fields kept). */
export type AlignUpdateCustomerResponse = Record<string, unknown>

/** Response of `POST /v0/customers/{id}/kycs`. */
export type AlignKycSession = { kycs: { kyc_flow_link: string } }

/** Sandbox-only simulation actions. */
export type AlignSimulateAction = 'kyc.status.approve'

/** Body of `POST /v0/customers/simulate` (sandbox only). */
export type AlignSimulateCustomerParams = { customer_id: string; action: Tolerant<AlignSimulateAction> }

/** Response of `POST /v0/customers/simulate`: an empty object (extra fields kept). */
export type AlignSimulateCustomerResponse = Record<string, unknown>

/** State of a webhook registration; Align delivers events to `active` ones. */
export type AlignWebhookStatus = 'active' | 'inactive'

/**
 * A registered webhook endpoint. Align documents `status` and `created_at` on every webhook; the
 * client still accepts a webhook without them (only `id` and `url` are required when parsing).
 */
export type AlignWebhook = {
  id: string
  url: string
  status?: Tolerant<AlignWebhookStatus>
  created_at?: string
}

/** Body of `POST /v0/webhooks`. */
export type AlignCreateWebhookParams = { url: string }

/** Webhook event types Align documents. */
export type AlignWebhookEventType =
  | 'customer.kycs.updated'
  | 'onramp_transfer.status.updated'
  | 'offramp_transfer.status.updated'
  | 'cross_chain_transfer.status.updated'
  | 'virtual_account.created'

/**
 * A webhook event body. Align sends no event id and signs no timestamp, so receivers must
 * de-duplicate by (event_type, entity_id, created_at) and re-read the entity rather than trust order.
 */
export type AlignWebhookEvent = {
  event_type: Tolerant<AlignWebhookEventType>
  entity_id: string
  entity_type?: string
  /** ISO-8601 timestamp, validated to parse as a date. */
  created_at: string
}

/** Per-request options accepted as the optional trailing argument of every client method. */
export type AlignRequestOptions = {
  /** Cancels the call (all attempts and backoff sleeps); it then rejects with `AlignAbortError`. */
  signal?: AbortSignal
  /** Overrides the client's `timeoutMs` (total deadline, retries included) for this call. */
  timeoutMs?: number
  /** Overrides the client's `attemptTimeoutMs` for this call. */
  attemptTimeoutMs?: number
  /** Overrides the client's `maxRetries` for this call. */
  maxRetries?: number
}
