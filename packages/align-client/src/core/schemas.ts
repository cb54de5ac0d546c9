/**
 * Zod schemas for Align's wire format, shared by the client (validate before sending, parse
 * tolerantly after receiving) and the emulator (validate what it receives). Internal: not exported
 * from the package entry points; the customer wire types of `types.ts` are derived from them
 * (`z.input` of a request schema, `z.output` of a response schema), so the two cannot drift.
 */
import { z } from 'zod'
import {
  ALIGN_VIRTUAL_ACCOUNT_CURRENCIES,
  ALIGN_VIRTUAL_ACCOUNT_NETWORKS,
  ALIGN_VIRTUAL_ACCOUNT_TOKENS,
  type AlignCustomerType,
  type AlignDepositPaymentRail,
  type AlignKycStatus,
  type AlignKycSubStatus,
  type AlignVirtualAccountCurrency,
  type AlignVirtualAccountNetwork,
  type AlignVirtualAccountStatus,
  type AlignVirtualAccountToken,
  type AlignWebhookStatus,
  type Tolerant,
} from '../types.js'

/** Non-empty string id (path parameter). */
export const idSchema = z.string().trim().min(1, 'must be a non-empty string')

// Requests are loose objects: unknown keys are forwarded, because Align accepts fields these schemas
// do not (yet) name (so the derived request types accept them too).
const nonEmpty = z.string().trim().min(1)

export const createCustomerSchema = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('individual'),
    email: z.email(),
    first_name: nonEmpty,
    last_name: nonEmpty,
    company_name: z.string().optional(),
  }),
  z.looseObject({
    type: z.literal('corporate'),
    email: z.email(),
    company_name: nonEmpty,
    first_name: z.string().optional(),
    last_name: z.string().optional(),
  }),
])

export const listCustomersSchema = z.looseObject({ email: z.string().optional() })

export const updateCustomerSchema = z.looseObject({
  documents: z.array(
    z.looseObject({ file_id: nonEmpty, purpose: nonEmpty, description: z.string().optional() }),
  ),
})

export const simulateCustomerSchema = z.looseObject({ customer_id: nonEmpty, action: nonEmpty })

export const createWebhookSchema = z.looseObject({
  url: z.url({ protocol: /^https?$/ }),
})

export const createVirtualAccountSchema = z
  .looseObject({
    source_currency: z.enum(ALIGN_VIRTUAL_ACCOUNT_CURRENCIES),
    /** Only for USD, to accept SWIFT payments. */
    source_rails: z.literal('swift').optional(),
    destination_token: z.enum(ALIGN_VIRTUAL_ACCOUNT_TOKENS),
    destination_network: z.enum(ALIGN_VIRTUAL_ACCOUNT_NETWORKS),
    destination_address: nonEmpty,
  })
  .refine((body) => body.source_rails === undefined || body.source_currency === 'usd', {
    message: "source_rails 'swift' is only offered for source_currency 'usd'",
    path: ['source_rails'],
  })

export const simulateVirtualAccountSchema = z.looseObject({ action: nonEmpty, virtual_account_id: nonEmpty })

// Responses: tolerant. Enum-like fields accept any string (unknown values kept) and are typed as the
// documented union or any other string; extra fields are kept; only what a caller cannot do without
// is required.

/** Any string, typed as the documented values `T` or any other string (see `Tolerant`). */
const tolerant = <T extends string>() => z.string().transform((v): Tolerant<T> => v)

export const statusBreakdownEntrySchema = z.looseObject({
  currency: z.string(),
  /** One rail or a list of them. */
  payment_rails: z.union([z.string(), z.array(z.string())]),
  status: tolerant<AlignKycStatus>(),
})

export const kycsSchema = z.looseObject({
  status: tolerant<AlignKycStatus>(),
  /** `null` when Align has nothing more to say (also when it sends none). */
  sub_status: tolerant<AlignKycSubStatus>()
    .nullish()
    .transform((v) => v ?? null),
  /** Hosted KYC flow link; expires after a time Align does not document. */
  kyc_flow_link: z.string().nullish(),
  status_breakdown: z.array(statusBreakdownEntrySchema).optional(),
})

export const addressSchema = z.looseObject({
  street_line_1: z.string().nullish(),
  street_line_2: z.string().nullish(),
  city: z.string().nullish(),
  state: z.string().nullish(),
  postal_code: z.string().nullish(),
  country: z.string().nullish(),
})

export const customerResponseSchema = z.looseObject({
  customer_id: z.string().min(1),
  email: z.string(),
  type: tolerant<AlignCustomerType>(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  company_name: z.string().nullish(),
  address: addressSchema.nullish(),
  kycs: kycsSchema.nullish(),
})

export const customerListResponseSchema = z.looseObject({ items: z.array(customerResponseSchema) })

export const anyObjectResponseSchema = z.looseObject({})

export const kycSessionResponseSchema = z.looseObject({
  kycs: z.looseObject({ kyc_flow_link: z.string().min(1) }),
})

export const webhookResponseSchema = z.looseObject({
  id: z.string().min(1),
  url: z.string(),
  status: tolerant<AlignWebhookStatus>().optional(),
  created_at: z.string().optional(),
})

export const webhookListResponseSchema = z.looseObject({ items: z.array(webhookResponseSchema) })

// Deposit instructions: Align documents `account_holder_name` (IBAN example) while the SDK's types
// name `account_beneficiary_name` / `account_beneficiary_address` (US and SWIFT): every variant
// accepts all of them, and `beneficiary_name` / `beneficiary_address` too, none required.
const depositInstructionsCommon = {
  /** One rail or a list of them; always read as a list. */
  payment_rails: z
    .union([z.string(), z.array(z.string())])
    .nullish()
    .transform((v): Tolerant<AlignDepositPaymentRail>[] => (v == null ? [] : Array.isArray(v) ? v : [v])),
  currency: tolerant<AlignVirtualAccountCurrency>().nullish(),
  bank_name: z.string().nullish(),
  bank_address: z.string().nullish(),
  account_holder_name: z.string().nullish(),
  account_beneficiary_name: z.string().nullish(),
  account_beneficiary_address: z.string().nullish(),
  beneficiary_name: z.string().nullish(),
  beneficiary_address: z.string().nullish(),
}

export const usDepositInstructionsSchema = z.looseObject({
  ...depositInstructionsCommon,
  us: z.looseObject({ account_number: z.string().min(1), routing_number: z.string().min(1) }),
})

export const ibanDepositInstructionsSchema = z.looseObject({
  ...depositInstructionsCommon,
  iban: z.looseObject({ bic: z.string().nullish(), iban_number: z.string().min(1) }),
})

export const internationalWireDepositInstructionsSchema = z.looseObject({
  ...depositInstructionsCommon,
  international_wire: z.looseObject({
    account_number: z.string().min(1),
    routing_number: z.string().nullish(),
    bic: z.string().min(1),
  }),
})

export const depositInstructionsSchema = z.union([
  usDepositInstructionsSchema,
  ibanDepositInstructionsSchema,
  internationalWireDepositInstructionsSchema,
])

export const virtualAccountResponseSchema = z.looseObject({
  id: z.string().min(1),
  status: tolerant<AlignVirtualAccountStatus>(),
  source_currency: tolerant<AlignVirtualAccountCurrency>().nullish(),
  /** `swift`, or (as the SDK's list example shows) the rail of a non-SWIFT account, or absent. */
  source_rails: z.string().nullish(),
  destination_token: tolerant<AlignVirtualAccountToken>(),
  destination_network: tolerant<AlignVirtualAccountNetwork>(),
  destination_address: z.string(),
  developer_fee_percent: z.string().nullish(),
  /** `null` while the account is pending (also when Align sends none). */
  deposit_instructions: depositInstructionsSchema.nullish().transform((v) => v ?? null),
})

export const virtualAccountListResponseSchema = z.looseObject({
  items: z.array(virtualAccountResponseSchema),
})

/** Flattens zod issues into `{path, message}` pairs with dotted paths. */
export function toIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }))
}
