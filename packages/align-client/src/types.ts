/**
 * Wire-format (snake_case) types of Align's API, as documented for the `@tolbel/align` SDK.
 *
 * Response types are deliberately tolerant: enum-like fields are typed as the documented union
 * *or any other string*, because Align may add values and the client keeps whatever it receives
 * rather than failing. The customer types are derived from the zod schemas the client validates and
 * parses with (`core/schemas.ts`): extra fields Align sends are kept on the object and typed
 * `unknown`, and a request may carry fields these types do not name (they are forwarded).
 */
import type { z } from 'zod'
import type {
  addressSchema,
  anyObjectResponseSchema,
  createCustomerSchema,
  createVirtualAccountSchema,
  customerResponseSchema,
  ibanDepositInstructionsSchema,
  internationalWireDepositInstructionsSchema,
  kycSessionResponseSchema,
  kycsSchema,
  listCustomersSchema,
  statusBreakdownEntrySchema,
  updateCustomerSchema,
  usDepositInstructionsSchema,
  virtualAccountResponseSchema,
  webhookResponseSchema,
} from './core/schemas.js'

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

/**
 * KYC status of one currency on its payment rails: `{ currency, payment_rails, status }`, where
 * `payment_rails` is a string or a list of them and `status` a `Tolerant<AlignKycStatus>`.
 */
export type AlignStatusBreakdownEntry = z.output<typeof statusBreakdownEntrySchema>

/**
 * The `kycs` block of a customer: `status` (`Tolerant<AlignKycStatus>`), `sub_status`
 * (`Tolerant<AlignKycSubStatus> | null`), optional `kyc_flow_link` (expires after a time Align does
 * not document) and `status_breakdown` ({@link AlignStatusBreakdownEntry}[]).
 */
export type AlignCustomerKycs = z.output<typeof kycsSchema>

/**
 * A postal address as Align returns it: optional `street_line_1`, `street_line_2`, `city`, `state`,
 * `postal_code`, `country` (each a string or null).
 */
export type AlignAddress = z.output<typeof addressSchema>

/**
 * An Align customer (`GET /v0/customers/{id}`): `customer_id`, `email`, `type`
 * (`Tolerant<AlignCustomerType>`), optional names, {@link AlignAddress} and {@link AlignCustomerKycs}.
 */
export type AlignCustomer = z.output<typeof customerResponseSchema>

/** Body of `POST /v0/customers`. Individuals need first and last name; corporates need company_name. */
export type AlignCreateCustomerParams = z.input<typeof createCustomerSchema>

/** Query of `GET /v0/customers`: optional `email`. */
export type AlignListCustomersParams = z.input<typeof listCustomersSchema>

/** Align's list envelope. */
export type AlignList<T> = { items: T[] }

/** Body of `PUT /v0/customers/{id}`: `{ documents: AlignCustomerDocument[] }`. */
export type AlignUpdateCustomerParams = z.input<typeof updateCustomerSchema>

/** A document attached to a customer (`PUT /v0/customers/{id}`): `file_id`, `purpose`, optional `description`. */
export type AlignCustomerDocument = AlignUpdateCustomerParams['documents'][number]

/** Response of `PUT /v0/customers/{id}`: an empty object, as Align documents (extra fields kept). */
export type AlignUpdateCustomerResponse = z.output<typeof anyObjectResponseSchema>

/** Response of `POST /v0/customers/{id}/kycs`: `{ kycs: { kyc_flow_link } }`. */
export type AlignKycSession = z.output<typeof kycSessionResponseSchema>

/** Sandbox-only simulation actions. */
export type AlignSimulateAction = 'kyc.status.approve'

/**
 * Body of `POST /v0/customers/simulate` (sandbox only). Written out rather than derived: it names the
 * documented actions, which the schema (any non-empty string) does not.
 */
export type AlignSimulateCustomerParams = { customer_id: string; action: Tolerant<AlignSimulateAction> }

/** Response of `POST /v0/customers/simulate`: an empty object (extra fields kept). */
export type AlignSimulateCustomerResponse = z.output<typeof anyObjectResponseSchema>

/** State of a webhook registration; Align delivers events to `active` ones. */
export type AlignWebhookStatus = 'active' | 'inactive'

/**
 * A registered webhook endpoint. Align documents `status` and `created_at` on every webhook; the
 * client still accepts a webhook without them (only `id` and `url` are required when parsing).
 */
export type AlignWebhook = z.output<typeof webhookResponseSchema>

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

/** Fiat currencies a virtual account accepts deposits in (`source_currency`). */
export const ALIGN_VIRTUAL_ACCOUNT_CURRENCIES = Object.freeze(['usd', 'eur', 'aed'] as const)
/** Stablecoins a virtual account converts deposits to (`destination_token`). */
export const ALIGN_VIRTUAL_ACCOUNT_TOKENS = Object.freeze(['usdc', 'usdt'] as const)
/** Blockchains a virtual account sends to (`destination_network`). */
export const ALIGN_VIRTUAL_ACCOUNT_NETWORKS = Object.freeze([
  'polygon',
  'ethereum',
  'solana',
  'base',
  'arbitrum',
  'tron',
] as const)

/** One of {@link ALIGN_VIRTUAL_ACCOUNT_CURRENCIES}. */
export type AlignVirtualAccountCurrency = (typeof ALIGN_VIRTUAL_ACCOUNT_CURRENCIES)[number]
/** One of {@link ALIGN_VIRTUAL_ACCOUNT_TOKENS}. */
export type AlignVirtualAccountToken = (typeof ALIGN_VIRTUAL_ACCOUNT_TOKENS)[number]
/** One of {@link ALIGN_VIRTUAL_ACCOUNT_NETWORKS}. */
export type AlignVirtualAccountNetwork = (typeof ALIGN_VIRTUAL_ACCOUNT_NETWORKS)[number]

/**
 * State of a virtual account: `active` (deposit instructions issued) or `pending` (AED and USD
 * SWIFT accounts, created asynchronously: no deposit instructions yet).
 */
export type AlignVirtualAccountStatus = 'pending' | 'active'

/** Rails a deposit may arrive on, as `deposit_instructions.payment_rails` lists them. */
export type AlignDepositPaymentRail = 'ach' | 'wire' | 'sepa' | 'swift' | 'uaefts'

/**
 * Body of `POST /v0/customers/{id}/virtual-account`: `source_currency`, optional `source_rails`
 * (`'swift'`, USD only), `destination_token`, `destination_network`, `destination_address`.
 */
export type AlignCreateVirtualAccountParams = z.input<typeof createVirtualAccountSchema>

/** Body of `POST /v0/customers/{id}/virtual-account/simulate` (sandbox only). */
export type AlignSimulateVirtualAccountParams = {
  action: 'issue_pending_virtual_account'
  virtual_account_id: string
}

/**
 * Deposit instructions of a USD (ACH / domestic wire) account: `us: {account_number,
 * routing_number}` plus the common fields (`payment_rails` (always a list), `currency`, `bank_name`,
 * `bank_address` and whichever beneficiary fields Align sends; see {@link depositBeneficiary}).
 */
export type AlignUsDepositInstructions = z.output<typeof usDepositInstructionsSchema>
/** Deposit instructions of an EUR (SEPA) or AED (UAEFTS) account: `iban: {bic, iban_number}` plus the common fields. */
export type AlignIbanDepositInstructions = z.output<typeof ibanDepositInstructionsSchema>
/** Deposit instructions of a USD SWIFT account: `international_wire: {account_number, routing_number, bic}` plus the common fields. */
export type AlignInternationalWireDepositInstructions = z.output<
  typeof internationalWireDepositInstructionsSchema
>
/** Bank details to deposit to; narrow with the `is...DepositInstructions` guards. */
export type AlignDepositInstructions =
  AlignUsDepositInstructions | AlignIbanDepositInstructions | AlignInternationalWireDepositInstructions

/**
 * An Align virtual account: `id`, `status` (`Tolerant<AlignVirtualAccountStatus>`), optional
 * `source_currency` / `source_rails`, `destination_token`, `destination_network`,
 * `destination_address`, optional `developer_fee_percent`, and `deposit_instructions`
 * ({@link AlignDepositInstructions}, `null` while pending). Extra fields are kept.
 */
export type AlignVirtualAccount = z.output<typeof virtualAccountResponseSchema>

/** True for US (ACH / domestic wire) instructions: they carry a `us` block. */
export function isUsDepositInstructions(
  instructions: AlignDepositInstructions | null | undefined,
): instructions is AlignUsDepositInstructions {
  return isBlock(instructions, 'us')
}

/** True for IBAN (SEPA, UAEFTS) instructions: they carry an `iban` block. */
export function isIbanDepositInstructions(
  instructions: AlignDepositInstructions | null | undefined,
): instructions is AlignIbanDepositInstructions {
  return isBlock(instructions, 'iban')
}

/** True for international wire (SWIFT) instructions: they carry an `international_wire` block. */
export function isInternationalWireDepositInstructions(
  instructions: AlignDepositInstructions | null | undefined,
): instructions is AlignInternationalWireDepositInstructions {
  return isBlock(instructions, 'international_wire')
}

/**
 * Who deposits are addressed to, whichever field names Align used: the name from
 * `account_beneficiary_name`, `beneficiary_name` or `account_holder_name` (first present), the
 * address from `account_beneficiary_address` or `beneficiary_address`; `null` when absent.
 */
export function depositBeneficiary(instructions: AlignDepositInstructions): {
  name: string | null
  address: string | null
} {
  return {
    name:
      instructions.account_beneficiary_name ??
      instructions.beneficiary_name ??
      instructions.account_holder_name ??
      null,
    address: instructions.account_beneficiary_address ?? instructions.beneficiary_address ?? null,
  }
}

function isBlock(value: unknown, key: string): boolean {
  if (typeof value !== 'object' || value === null) return false
  const block = (value as Record<string, unknown>)[key]
  return typeof block === 'object' && block !== null
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
