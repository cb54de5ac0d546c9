import { z } from 'zod'

/** The longest range GET /v1/stats/kyc accepts: a year and a day (a leap year's 366 days). */
export const STATS_MAX_SPAN_DAYS = 366

/** The range when `from` is omitted: this many days before `to`. */
export const STATS_DEFAULT_SPAN_DAYS = 30

const DAY_MS = 86_400_000

const INSTANT = 'must be an ISO-8601 date (2026-11-01) or date-time with an offset (2026-11-01T00:00:00Z)'

/** An ISO-8601 date (midnight UTC) or date-time with an offset, as a Date. */
const instant = (field: string) =>
  z
    .union([z.iso.datetime({ offset: true }), z.iso.date()], { error: `${field} ${INSTANT}` })
    .transform((v) => new Date(v.length === 10 ? `${v}T00:00:00Z` : v))
    .optional()

/**
 * GET /v1/stats/kyc: `[from, to)`; `to` defaults to now, `from` to STATS_DEFAULT_SPAN_DAYS before
 * `to`. `from` must be before `to`, and the span at most STATS_MAX_SPAN_DAYS (the per-day series
 * stays bounded). `now` is a parameter so the defaults are testable.
 */
export const statsQuerySchema = (now: () => Date = () => new Date()) =>
  z
    .strictObject({ from: instant('from'), to: instant('to') })
    .transform((q) => {
      const to = q.to ?? now()
      const from = q.from ?? new Date(to.getTime() - STATS_DEFAULT_SPAN_DAYS * DAY_MS)
      return { from, to }
    })
    .superRefine((q, ctx) => {
      if (q.from.getTime() >= q.to.getTime()) {
        ctx.addIssue({ code: 'custom', path: ['from'], message: 'from must be before to' })
      } else if (q.to.getTime() - q.from.getTime() > STATS_MAX_SPAN_DAYS * DAY_MS) {
        ctx.addIssue({
          code: 'custom',
          path: ['to'],
          message: `the range from..to must span at most ${STATS_MAX_SPAN_DAYS} days`,
        })
      }
    })
