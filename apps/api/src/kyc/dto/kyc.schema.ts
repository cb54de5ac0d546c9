import { parseDuration } from '@align-kyc/domain'
import { z } from 'zod'
import { CLIENT_TOKEN_TTL } from '../../common/client-tokens.js'

/** POST /v1/customers/:id/kyc-sessions (the body may be omitted). */
export const createKycSessionSchema = z.strictObject({
  forceRenew: z.boolean({ error: 'forceRenew must be a boolean' }).optional(),
})

/** POST /v1/sandbox/customers/:id/simulate (sandbox and local only). */
export const simulateSchema = z.strictObject({
  action: z.literal('kyc.status.approve', { error: 'action must be kyc.status.approve' }),
})

/** A client token's `ttl` in milliseconds, or null when it is not a duration from 1 ms to 1h. */
export function clientTokenTtlMs(ttl: string | undefined): number | null {
  if (ttl === undefined) return CLIENT_TOKEN_TTL.defaultMs
  try {
    const ms = parseDuration(ttl)
    return ms > 0 && ms <= CLIENT_TOKEN_TTL.maxMs ? ms : null
  } catch {
    return null
  }
}

/** POST /v1/customers/:id/client-tokens: `ttl` a duration, longer than zero and at most 1h. */
export const createClientTokenSchema = z.strictObject({
  ttl: z
    .string({ error: 'ttl must be a duration like 5m or 1h' })
    .trim()
    .refine((v) => clientTokenTtlMs(v) !== null, {
      error: (i) =>
        `ttl must be a duration longer than zero and at most 1h (like 5m), got "${String(i.input)}"`,
    })
    .optional(),
})
