import { z } from 'zod'

/** POST /v1/customers/:id/kyc-sessions (the body may be omitted). */
export const createKycSessionSchema = z.strictObject({
  forceRenew: z.boolean({ error: 'forceRenew must be a boolean' }).optional(),
})

/** POST /v1/sandbox/customers/:id/simulate (sandbox and local only). */
export const simulateSchema = z.strictObject({
  action: z.literal('kyc.status.approve', { error: 'action must be kyc.status.approve' }),
})
