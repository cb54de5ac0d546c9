import { z } from 'zod'
import { pageQuerySchema } from '../../common/page-query.schema.js'

export const DELIVERY_STATUSES = ['pending', 'processed', 'failed', 'ignored'] as const

/** GET /v1/webhooks/deliveries */
export const listDeliveriesQuerySchema = z.strictObject({
  ...pageQuerySchema.shape,
  status: z
    .enum(DELIVERY_STATUSES, { error: `status must be one of ${DELIVERY_STATUSES.join(', ')}` })
    .optional(),
})
