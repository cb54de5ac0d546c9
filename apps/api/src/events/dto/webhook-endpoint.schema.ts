import { z } from 'zod'
import { pageQuerySchema } from '../../common/page-query.schema.js'
import { EVENT_TYPES } from '../outbox.js'

const url = z
  .string({ error: 'url must be a string' })
  .trim()
  .min(1, { error: 'url must not be empty' })
  .max(2000, { error: 'url must be at most 2000 characters' })
const eventTypes = z
  .array(z.enum(EVENT_TYPES, { error: `eventTypes entries must be among ${EVENT_TYPES.join(', ')}` }), {
    error: 'eventTypes must be an array of event types',
  })
  .max(EVENT_TYPES.length, { error: 'eventTypes lists a type twice' })
  .refine((a) => new Set(a).size === a.length, { error: 'eventTypes lists a type twice' })
const description = z
  .string({ error: 'description must be a string' })
  .trim()
  .max(500, { error: 'description must be at most 500 characters' })

/** POST /v1/webhook-endpoints */
export const createEndpointSchema = z.strictObject({
  url,
  eventTypes: eventTypes.optional(),
  description: description.optional(),
})

/** PATCH /v1/webhook-endpoints/:id */
export const updateEndpointSchema = z.strictObject({
  url: url.optional(),
  eventTypes: eventTypes.optional(),
  description: description.nullable().optional(),
  status: z.enum(['enabled', 'disabled'], { error: 'status must be enabled or disabled' }).optional(),
})

export const OUTBOUND_STATUSES = ['pending', 'delivered', 'failed'] as const
/** GET /v1/webhook-endpoints/:id/deliveries */
export const listEndpointDeliveriesQuerySchema = z.strictObject({
  ...pageQuerySchema.shape,
  status: z
    .enum(OUTBOUND_STATUSES, { error: `status must be one of ${OUTBOUND_STATUSES.join(', ')}` })
    .optional(),
})
