import { z } from 'zod'

const LIMIT = 'limit must be an integer from 1 to 100'

/** `limit` and `cursor` of every cursor-paginated list (query strings: `limit` arrives as text). */
export const pageQuerySchema = z.object({
  limit: z.coerce
    .number({ error: LIMIT })
    .int({ error: LIMIT })
    .min(1, { error: LIMIT })
    .max(100, { error: LIMIT })
    .optional(),
  cursor: z.string({ error: 'cursor must be a string' }).max(200, { error: 'cursor is too long' }).optional(),
})
