import { z } from 'zod'
import { VIRTUAL_ACCOUNT_CURRENCIES } from '@align-kyc/domain'
import { VIRTUAL_ACCOUNT_NETWORKS, VIRTUAL_ACCOUNT_TOKENS } from '../virtual-account.params.js'

const oneOf = (field: string, values: readonly string[]) => ({
  error: `${field} must be one of ${values.join(', ')}`,
})

/**
 * POST /v1/customers/:id/virtual-accounts. The address is checked for its network by the service
 * (destination-address.ts), which names what is wrong with it.
 */
export const createVirtualAccountSchema = z
  .strictObject({
    sourceCurrency: z.enum(VIRTUAL_ACCOUNT_CURRENCIES, oneOf('sourceCurrency', VIRTUAL_ACCOUNT_CURRENCIES)),
    sourceRails: z.literal('swift', { error: 'sourceRails must be swift (or left out)' }).optional(),
    destinationToken: z.enum(VIRTUAL_ACCOUNT_TOKENS, oneOf('destinationToken', VIRTUAL_ACCOUNT_TOKENS)),
    destinationNetwork: z.enum(
      VIRTUAL_ACCOUNT_NETWORKS,
      oneOf('destinationNetwork', VIRTUAL_ACCOUNT_NETWORKS),
    ),
    destinationAddress: z
      .string({ error: 'destinationAddress must be a string' })
      .trim()
      .min(1, { error: 'destinationAddress must not be empty' })
      .max(128, { error: 'destinationAddress must be at most 128 characters' }),
  })
  .refine((b) => b.sourceRails === undefined || b.sourceCurrency === 'usd', {
    path: ['sourceRails'],
    error: 'sourceRails swift is only for sourceCurrency usd',
  })

/** POST /v1/sandbox/customers/:id/virtual-accounts/:accountId/simulate (sandbox and local only). */
export const simulateVirtualAccountSchema = z.strictObject({
  action: z.literal('issue_pending_virtual_account', {
    error: 'action must be issue_pending_virtual_account',
  }),
})
