import { Injectable } from '@nestjs/common'
import { PrismaService } from '../database/prisma.service.js'

/** GET /v1/stats/kyc's answer, as the repository computes it (see KycStatsDto for each field). */
export type KycStats = {
  byStatus: { not_started: number; pending: number; approved: number; rejected: number }
  funnel: { created: number; linkIssued: number; started: number; approved: number; rejected: number }
  timeToApproval: { p50Seconds: number | null; p90Seconds: number | null }
  byDay: { day: string; created: number; approved: number; rejected: number }[]
  stuck: { pendingOver7Days: number }
  inbound: { pending: number; failed: number }
  outbound: { pending: number; failed: number }
}

type StatsRow = {
  not_started: number
  pending: number
  approved_now: number
  rejected_now: number
  created: number
  link_issued: number
  started: number
  approved: number
  rejected: number
  p50: number | null
  p90: number | null
  by_day: KycStats['byDay']
  stuck: number
  inbound_pending: number
  inbound_failed: number
  outbound_pending: number
  outbound_failed: number
}

/*
 * One statement, aggregates only: no row leaves the database. Everything about the customers in the
 * range is read off one index range, customers_stats_idx (created_at, kyc_status and the KYC summary
 * that triggers on kyc_status_history and kyc_sessions keep on the customer row: ever pending, ever
 * rejected, first approval, first link; migration operators_kyc_summary), index-only; reading the
 * history and links per customer instead cost two index probes each (0.7 s for 80k customers). The
 * stuck count reads the partial index of pending customers by kyc_updated_at, the queues the
 * (status, next_attempt_at) indexes of both delivery tables. Days are UTC days (AT TIME ZONE 'UTC',
 * whatever the session's TimeZone). The statement runs with JIT off: on a million customers the
 * planner's cost estimate turns JIT on, and compiling took longer (~0.8 s) than the whole query.
 * Figures: docs/performance.md.
 */
const STATS_SQL = `
WITH j AS MATERIALIZED (
  SELECT c.kyc_status, (c.created_at AT TIME ZONE 'UTC')::date AS day,
         c.kyc_link_issued_at IS NOT NULL AS link_issued,
         c.kyc_ever_pending AS started,
         c.kyc_ever_rejected AS rejected,
         c.kyc_first_approved_at IS NOT NULL AS approved,
         -- NULL when never approved (percentile_cont skips NULLs; greatest() alone would make them 0)
         CASE WHEN c.kyc_first_approved_at IS NOT NULL
              THEN greatest(0, extract(epoch FROM c.kyc_first_approved_at - c.created_at)) END AS approval_seconds
    FROM customers c
   WHERE c.created_at >= $1::timestamptz AND c.created_at < $2::timestamptz
),
days AS (
  SELECT day, count(*)::int AS created, (count(*) FILTER (WHERE approved))::int AS approved,
         (count(*) FILTER (WHERE rejected))::int AS rejected
    FROM j GROUP BY day
)
SELECT
  (count(*) FILTER (WHERE kyc_status = 'not_started'))::int AS not_started,
  (count(*) FILTER (WHERE kyc_status = 'pending'))::int AS pending,
  (count(*) FILTER (WHERE kyc_status = 'approved'))::int AS approved_now,
  (count(*) FILTER (WHERE kyc_status = 'rejected'))::int AS rejected_now,
  count(*)::int AS created,
  (count(*) FILTER (WHERE link_issued))::int AS link_issued,
  (count(*) FILTER (WHERE started))::int AS started,
  (count(*) FILTER (WHERE approved))::int AS approved,
  (count(*) FILTER (WHERE rejected))::int AS rejected,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY approval_seconds)::float8 AS p50,
  percentile_cont(0.9) WITHIN GROUP (ORDER BY approval_seconds)::float8 AS p90,
  (SELECT coalesce(json_agg(json_build_object(
            'day', to_char(g.day, 'YYYY-MM-DD'), 'created', coalesce(d.created, 0),
            'approved', coalesce(d.approved, 0), 'rejected', coalesce(d.rejected, 0)) ORDER BY g.day), '[]')
     FROM generate_series(($1::timestamptz AT TIME ZONE 'UTC')::date,
                          (($2::timestamptz - interval '1 millisecond') AT TIME ZONE 'UTC')::date,
                          interval '1 day') AS g(day)
     LEFT JOIN days d ON d.day = g.day::date) AS by_day,
  (SELECT count(*)::int FROM customers p
    WHERE p.kyc_status = 'pending' AND p.kyc_updated_at < now() - interval '7 days') AS stuck,
  (SELECT count(*)::int FROM webhook_deliveries WHERE status = 'pending') AS inbound_pending,
  (SELECT count(*)::int FROM webhook_deliveries WHERE status = 'failed') AS inbound_failed,
  (SELECT count(*)::int FROM event_deliveries WHERE status = 'pending') AS outbound_pending,
  (SELECT count(*)::int FROM event_deliveries WHERE status = 'failed') AS outbound_failed
FROM j`

@Injectable()
export class StatsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The KYC statistics over customers created in `[from, to)` (the queues and `stuck`: now, over all). */
  async kycStats(from: Date, to: Date): Promise<KycStats> {
    const [r] = await this.prisma.sql.transaction(async (sql) => {
      await sql('SET LOCAL jit = off')
      return sql<StatsRow>(STATS_SQL, [from, to])
    })
    if (!r) throw new Error('stats: the aggregate returned no row')
    return {
      byStatus: {
        not_started: r.not_started,
        pending: r.pending,
        approved: r.approved_now,
        rejected: r.rejected_now,
      },
      funnel: {
        created: r.created,
        linkIssued: r.link_issued,
        started: r.started,
        approved: r.approved,
        rejected: r.rejected,
      },
      timeToApproval: { p50Seconds: r.p50, p90Seconds: r.p90 },
      byDay: r.by_day,
      stuck: { pendingOver7Days: r.stuck },
      inbound: { pending: r.inbound_pending, failed: r.inbound_failed },
      outbound: { pending: r.outbound_pending, failed: r.outbound_failed },
    }
  }
}
