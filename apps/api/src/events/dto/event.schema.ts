import { z } from 'zod'
import { EVENT_TYPES } from '../outbox.js'

const LIMIT = 'limit must be an integer from 1 to 500'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** GET /v1/events */
export const listEventsQuerySchema = z.strictObject({
  after: z.string({ error: 'after must be a string' }).max(200, { error: 'after is too long' }).optional(),
  customerId: z
    .string({ error: 'customerId must be a UUID' })
    .regex(UUID, { error: 'customerId must be a UUID' })
    .transform((s) => s.toLowerCase())
    .optional(),
  type: z.enum(EVENT_TYPES, { error: `type must be one of ${EVENT_TYPES.join(', ')}` }).optional(),
  limit: z.coerce
    .number({ error: LIMIT })
    .int({ error: LIMIT })
    .min(1, { error: LIMIT })
    .max(500, { error: LIMIT })
    .optional(),
})
