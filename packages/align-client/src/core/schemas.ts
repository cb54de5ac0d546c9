/**
 * Zod schemas for Align's wire format, shared by the client (validate before sending, parse
 * tolerantly after receiving) and the emulator (validate what it receives). Internal: not exported
 * from the package entry points.
 */
import { z } from 'zod'

/** Non-empty string id (path parameter). */
export const idSchema = z.string().trim().min(1, 'must be a non-empty string')

// Requests are loose objects: unknown keys are forwarded, because Align accepts fields these types
// do not (yet) name, and TypeScript already catches typos at compile time.
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

// Responses: tolerant. Enum-like fields are plain strings (unknown values kept), extra fields kept,
// only what a caller cannot do without is required.
const statusBreakdownEntrySchema = z.looseObject({
  currency: z.string(),
  payment_rails: z.union([z.string(), z.array(z.string())]),
  status: z.string(),
})

const kycsSchema = z.looseObject({
  status: z.string(),
  sub_status: z
    .string()
    .nullish()
    .transform((v) => v ?? null),
  kyc_flow_link: z.string().nullish(),
  status_breakdown: z.array(statusBreakdownEntrySchema).optional(),
})

export const customerResponseSchema = z.looseObject({
  customer_id: z.string().min(1),
  email: z.string(),
  type: z.string(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  company_name: z.string().nullish(),
  address: z.looseObject({}).nullish(),
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
  status: z.string().optional(),
  created_at: z.string().optional(),
})

export const webhookListResponseSchema = z.looseObject({ items: z.array(webhookResponseSchema) })

/** Flattens zod issues into `{path, message}` pairs with dotted paths. */
export function toIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }))
}
