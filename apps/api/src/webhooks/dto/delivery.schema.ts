import { z } from 'zod'
import { pageQuerySchema } from '../../common/page-query.schema.js'

export const DELIVERY_STATUSES = ['pending', 'processed', 'failed', 'ignored'] as const

/** GET /v1/webhooks/deliveries */
export const listDeliveriesQuerySchema = z.strictObject({
  ...pageQuerySchema.shape,
  status: z
    .enum(DELIVERY_STATUSES, { error: `status must be one of ${DELIVERY_STATUSES.join(', ')}` })
    .optional(),
  // An addition beyond the contract (the console's customer page): deliveries about this customer of
  // ours or one of its virtual accounts.
  customerId: z.uuid({ error: 'customerId must be a UUID' }).optional(),
})
