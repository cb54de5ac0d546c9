import { z } from 'zod'
import { KYC_STATUSES } from '@align-kyc/domain'
import { pageQuerySchema } from '../../common/page-query.schema.js'

const EMAIL = 'email must be a valid email address'
const email = z
  .string({ error: EMAIL })
  .trim()
  .max(254, { error: EMAIL })
  .pipe(z.email({ error: EMAIL }))
const name = (field: string, max: number) =>
  z
    .string({ error: `${field} must be a string` })
    .trim()
    .min(1, { error: `${field} must not be empty` })
    .max(max, { error: `${field} must be at most ${max} characters` })
    .optional()

/** POST /v1/customers (names are required per type by the service, which says which one is missing). */
export const createCustomerSchema = z.strictObject({
  email,
  type: z.enum(['individual', 'corporate'], { error: 'type must be individual or corporate' }),
  firstName: name('firstName', 100),
  lastName: name('lastName', 100),
  companyName: name('companyName', 200),
})

/** GET /v1/customers */
export const listCustomersQuerySchema = z
  .strictObject({
    ...pageQuerySchema.shape,
    email: email.optional(),
    status: z.enum(KYC_STATUSES, { error: `status must be one of ${KYC_STATUSES.join(', ')}` }).optional(),
    // An addition beyond the contract (the console's "pending over 7 days"): only the customers that
    // GET /v1/stats/kyc counts in stuck.pendingOver7Days.
    stuck: z
      .enum(['true', 'false'], { error: 'stuck must be true or false' })
      .transform((v) => v === 'true')
      .optional(),
  })
  .refine((q) => !q.stuck || q.status === undefined || q.status === 'pending', {
    path: ['stuck'],
    error: 'stuck customers are pending: stuck=true goes with no status or status=pending',
  })
