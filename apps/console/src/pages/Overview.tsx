import { useQuery } from '@tanstack/react-query'
import { unwrap, useApi, type Schemas } from '../lib/api'
import { formatCount, formatDateTime, formatDuration } from '../lib/format'
import { Link } from '../lib/router'
import { HorizontalBars, PerDayChart } from '../components/charts'
import { Figure, Loading, ProblemView } from '../components/ui'

/**
 * Where things stand: the funnel and status counts of the customers created in the last 30 days,
 * approvals and rejections per day, time to approval, the customers stuck in pending (a click lists
 * them), the inbound and outbound delivery queues, and whether Align answers. `overview-ready`
 * appears once every request of the page has answered (the benchmark waits for it).
 */
export function Overview() {
  const api = useApi()
  const stats = useQuery({
    queryKey: ['stats'],
    queryFn: () => unwrap(api.GET('/v1/stats/kyc')),
    refetchInterval: 30_000,
  })
  const align = useQuery({
    queryKey: ['align-status'],
    queryFn: () => unwrap(api.GET('/v1/align/status')),
    refetchInterval: 30_000,
  })
  const ready = useQuery({
    queryKey: ['health-ready'],
    // Public and answered 503 with a problem when not ready: the error is the answer to show.
    queryFn: () => unwrap(api.GET('/health/ready')),
    refetchInterval: 30_000,
  })
  const done = !stats.isPending && !align.isPending && !ready.isPending
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      {done && <span data-testid="overview-ready" hidden />}
      <div className="health">
        <h2>Health</h2>
        {align.isPending ? (
          <Loading what="Align's status" />
        ) : align.isError ? (
          <ProblemView error={align.error} onRetry={() => void align.refetch()} />
        ) : (
          <Figure
            label={`Align (${align.data.environment})`}
            testId="align-state"
            tone={align.data.align.state === 'ok' ? 'ok' : 'bad'}
            value={align.data.align.state === 'ok' ? 'answering' : align.data.align.state}
            hint={
              <>
                {align.data.align.detail ?? `${align.data.align.latencyMs} ms`} · checked{' '}
                {formatDateTime(align.data.align.checkedAt)}
              </>
            }
          />
        )}
        {ready.isPending ? (
          <Loading what="readiness" />
        ) : (
          <Figure
            label="This service"
            testId="service-ready"
            tone={ready.isError ? 'bad' : 'ok'}
            value={ready.isError ? 'not ready' : 'ready'}
            hint={ready.isError ? <ProblemView error={ready.error} /> : 'the database answers'}
          />
        )}
      </div>
      {stats.isPending ? (
        <Loading what="the statistics" />
      ) : stats.isError ? (
        <ProblemView error={stats.error} onRetry={() => void stats.refetch()} />
      ) : (
        <StatsView stats={stats.data} />
      )}
    </section>
  )
}

function StatsView({ stats }: { stats: Schemas['KycStatsDto'] }) {
  const { funnel, byStatus, inbound, outbound } = stats
  return (
    <>
      <p className="muted">
        Customers created from {formatDateTime(stats.from)} to {formatDateTime(stats.to)}; the alarms and the
        queues are about now.
      </p>
      <div className="figures">
        <Figure
          label="Pending over 7 days"
          testId="stuck"
          tone={stats.stuck.pendingOver7Days > 0 ? 'warn' : 'ok'}
          value={
            stats.stuck.pendingOver7Days > 0 ? (
              <Link to="/customers?stuck=true">{formatCount(stats.stuck.pendingOver7Days)}</Link>
            ) : (
              formatCount(0)
            )
          }
          hint="pending now, status unchanged for 7 days"
        />
        <Figure
          label="Time to approval, p50"
          testId="ttp-p50"
          value={formatDuration(stats.timeToApproval.p50Seconds)}
        />
        <Figure
          label="Time to approval, p90"
          testId="ttp-p90"
          value={formatDuration(stats.timeToApproval.p90Seconds)}
        />
        <QueueFigure
          label="Inbound (from Align)"
          name="inbound"
          queue={inbound}
          to="/webhooks?status=failed"
        />
        <QueueFigure
          label="Outbound (to endpoints)"
          name="outbound"
          queue={outbound}
          to="/webhooks#outbound"
        />
      </div>
      <div className="charts">
        <HorizontalBars
          caption="KYC funnel (of the customers created)"
          of={funnel.created}
          bars={[
            { key: 'funnel-created', label: 'created', value: funnel.created },
            { key: 'funnel-linkIssued', label: 'handed a link', value: funnel.linkIssued },
            {
              key: 'funnel-started',
              label: 'started (ever pending)',
              value: funnel.started,
              tone: 'pending',
            },
            { key: 'funnel-approved', label: 'approved', value: funnel.approved, tone: 'approved' },
            { key: 'funnel-rejected', label: 'ever rejected', value: funnel.rejected, tone: 'rejected' },
          ]}
        />
        <HorizontalBars
          caption="KYC status now"
          of={funnel.created}
          bars={[
            {
              key: 'status-not_started',
              label: 'not started',
              value: byStatus.not_started,
              tone: 'not_started',
            },
            { key: 'status-pending', label: 'pending', value: byStatus.pending, tone: 'pending' },
            { key: 'status-approved', label: 'approved', value: byStatus.approved, tone: 'approved' },
            { key: 'status-rejected', label: 'rejected', value: byStatus.rejected, tone: 'rejected' },
          ]}
        />
      </div>
      <PerDayChart days={stats.byDay} />
    </>
  )
}

/** A delivery queue: its failed count (a link to them) and its pending count. */
function QueueFigure({
  label,
  name,
  queue,
  to,
}: {
  label: string
  name: 'inbound' | 'outbound'
  queue: { pending: number; failed: number }
  to: string
}) {
  return (
    <Figure
      label={label}
      testId={name}
      tone={queue.failed > 0 ? 'bad' : 'ok'}
      value={
        <Link to={to}>
          <span data-testid={`${name}-failed`}>{formatCount(queue.failed)}</span> failed
        </Link>
      }
      hint={
        <>
          <span data-testid={`${name}-pending`}>{formatCount(queue.pending)}</span> pending
        </>
      }
    />
  )
}
