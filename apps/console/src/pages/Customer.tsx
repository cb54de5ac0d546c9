import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { unwrap, useApi, type Schemas } from '../lib/api'
import {
  customerName,
  formatDateTime,
  formatLinkReason,
  formatSource,
  formatSubStatus,
  humanize,
} from '../lib/format'
import { mergeTimeline, type TimelineItem } from '../lib/timeline'
import { Link } from '../lib/router'
import {
  ConfirmButton,
  CopyButton,
  Loading,
  MutationError,
  ProblemView,
  QueryView,
  StatusBadge,
} from '../components/ui'

/** How often the customer's KYC, links, deliveries and events are read again while the page is open. */
const LIVE_MS = 3000
/** The newest inbound deliveries the timeline shows (the route's largest page). */
const INBOUND_SHOWN = 100
/** The events the timeline shows, oldest first (the feed's largest page). */
const EVENTS_SHOWN = 500

/**
 * One customer: profile (or "redacted"), KYC status with the timeline of everything that happened to
 * it, and the actions an operator takes, each asking for confirmation when it changes something at
 * Align or erases data. The timeline's sources are polled every LIVE_MS, so a status that changes in
 * the hosted flow shows up without a reload.
 */
export function CustomerPage({ id }: { id: string }) {
  const api = useApi()
  const path = { params: { path: { id } } }
  const customer = useQuery({
    queryKey: ['customer', id, 'profile'],
    queryFn: () => unwrap(api.GET('/v1/customers/{id}', path)),
  })
  const kyc = useQuery({
    queryKey: ['customer', id, 'kyc'],
    queryFn: () => unwrap(api.GET('/v1/customers/{id}/kyc', path)),
    refetchInterval: LIVE_MS,
    enabled: customer.isSuccess,
  })
  const links = useQuery({
    queryKey: ['customer', id, 'links'],
    queryFn: () => unwrap(api.GET('/v1/customers/{id}/kyc-sessions', path)),
    refetchInterval: LIVE_MS,
    enabled: customer.isSuccess,
  })
  const inbound = useQuery({
    queryKey: ['customer', id, 'inbound'],
    queryFn: () =>
      unwrap(
        api.GET('/v1/webhooks/deliveries', { params: { query: { customerId: id, limit: INBOUND_SHOWN } } }),
      ),
    refetchInterval: LIVE_MS,
    enabled: customer.isSuccess,
  })
  const events = useQuery({
    queryKey: ['customer', id, 'events'],
    queryFn: () =>
      unwrap(api.GET('/v1/events', { params: { query: { customerId: id, limit: EVENTS_SHOWN } } })),
    refetchInterval: LIVE_MS,
    enabled: customer.isSuccess,
  })
  const align = useQuery({
    queryKey: ['align-status'],
    queryFn: () => unwrap(api.GET('/v1/align/status')),
  })

  return (
    <section aria-labelledby="customer-title">
      <p>
        <Link to="/customers">← Customers</Link>
      </p>
      <QueryView query={customer} what="the customer">
        {(c) => (
          <>
            <h1 id="customer-title" data-testid="customer-title">
              {c.redactedAt ? 'Redacted customer' : customerName(c)}
            </h1>
            <div className="columns">
              <Profile customer={c} />
              <div className="card">
                <h2>KYC</h2>
                <QueryView query={kyc} what="the KYC status">
                  {(k) => <KycSummary kyc={k} />}
                </QueryView>
                <Actions
                  customer={c}
                  approved={kyc.data?.status === 'approved'}
                  sandbox={align.data?.sandboxRoutes === true}
                />
              </div>
            </div>
            <h2>Timeline</h2>
            <p className="muted">Newest first; read again every {LIVE_MS / 1000} s.</p>
            {[kyc, links, inbound, events].map((q, i) =>
              q.isError ? <ProblemView key={i} error={q.error} onRetry={() => void q.refetch()} /> : null,
            )}
            {kyc.isPending || links.isPending || inbound.isPending || events.isPending ? (
              <Loading what="the timeline" />
            ) : (
              <>
                {(inbound.data?.nextCursor || events.data?.items.length === EVENTS_SHOWN) && (
                  <p className="notice">
                    A long history: the timeline shows the newest {INBOUND_SHOWN} webhooks from Align and the
                    first {EVENTS_SHOWN} events (the Webhooks page and <code>GET /v1/events?customerId=</code>{' '}
                    have the rest).
                  </p>
                )}
                <Timeline
                  items={mergeTimeline({
                    history: kyc.data?.history,
                    links: links.data?.items,
                    inbound: inbound.data?.items,
                    events: events.data?.items,
                  })}
                />
              </>
            )}
          </>
        )}
      </QueryView>
    </section>
  )
}

function Profile({ customer: c }: { customer: Schemas['CustomerDto'] }) {
  return (
    <div className="card">
      <h2>Profile</h2>
      {c.redactedAt ? (
        <p data-testid="profile-redacted">
          <strong>redacted</strong> on {formatDateTime(c.redactedAt)}: the email and names are erased here
          (Align keeps its own copy).
        </p>
      ) : null}
      <dl className="props">
        <dt>email</dt>
        <dd data-testid="profile-email">{c.redactedAt ? <em>redacted</em> : c.email}</dd>
        <dt>name</dt>
        <dd>{customerName(c)}</dd>
        <dt>type</dt>
        <dd>{c.type}</dd>
        <dt>id</dt>
        <dd>
          <code>{c.id}</code>
        </dd>
        <dt>Align id</dt>
        <dd>
          <code>{c.alignCustomerId}</code>
        </dd>
        <dt>created</dt>
        <dd>{formatDateTime(c.createdAt)}</dd>
      </dl>
    </div>
  )
}

function KycSummary({ kyc }: { kyc: Schemas['KycStatusDto'] }) {
  return (
    <dl className="props">
      <dt>status</dt>
      <dd>
        <StatusBadge status={kyc.status} testId="kyc-status" />
      </dd>
      <dt>step</dt>
      <dd data-testid="kyc-substatus">{formatSubStatus(kyc.subStatus)}</dd>
      <dt>since</dt>
      <dd>{formatDateTime(kyc.updatedAt)}</dd>
      <dt>live link</dt>
      <dd>
        {kyc.session ? (
          <>
            {kyc.session.expired ? 'expired' : 'valid'} until {formatDateTime(kyc.session.expiresAt)}
          </>
        ) : (
          'none'
        )}
      </dd>
    </dl>
  )
}

function Actions({
  customer,
  approved,
  sandbox,
}: {
  customer: Schemas['CustomerDto']
  approved: boolean
  sandbox: boolean
}) {
  const api = useApi()
  const queryClient = useQueryClient()
  const id = customer.id
  const path = { params: { path: { id } } }
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['customer', id] })
  const sync = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/customers/{id}/kyc/sync', path)),
    onSuccess: refresh,
  })
  const link = useMutation({
    mutationFn: () =>
      unwrap(api.POST('/v1/customers/{id}/kyc-sessions', { ...path, body: { forceRenew: true } })),
    onSuccess: refresh,
  })
  const simulate = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/sandbox/customers/{id}/simulate', { ...path, body: { action: 'kyc.status.approve' } }),
      ),
    onSuccess: refresh,
  })
  const redact = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/customers/{id}/redact', path)),
    onSuccess: refresh,
  })
  const redacted = customer.redactedAt !== null
  return (
    <div className="actions-block">
      <h3>Actions</h3>
      <div className="actions">
        <button
          type="button"
          onClick={() => sync.mutate()}
          disabled={sync.isPending}
          data-testid="action-sync"
        >
          {sync.isPending ? 'Syncing…' : 'Sync now'}
        </button>
        <ConfirmButton
          label="Issue a new link"
          title="Issue a new KYC link?"
          confirmLabel="Issue the link"
          onConfirm={() => link.mutate()}
          disabled={redacted || approved || link.isPending}
          testId="action-link"
        >
          <p>Align issues a new hosted-flow link; the current one is replaced.</p>
        </ConfirmButton>
        {sandbox && (
          <ConfirmButton
            label="Simulate approval"
            title="Simulate an approval?"
            confirmLabel="Approve (simulation)"
            onConfirm={() => simulate.mutate()}
            disabled={approved || simulate.isPending}
            testId="action-simulate"
          >
            <p>Align&apos;s sandbox approves this customer&apos;s KYC; the change is applied here.</p>
          </ConfirmButton>
        )}
        <ConfirmButton
          label="Redact"
          title="Redact this customer?"
          confirmLabel="Erase the personal data"
          onConfirm={() => redact.mutate()}
          disabled={redacted || redact.isPending}
          danger
          testId="action-redact"
        >
          <p>
            The email, names, link URLs and stored webhook bodies about this customer are erased here, for
            good. Ids, statuses and the history stay. New links and virtual accounts are refused afterwards.
          </p>
        </ConfirmButton>
      </div>
      {approved && !redacted && <p className="muted">Approved: no link is needed.</p>}
      {link.data && (
        <p className="new-link" data-testid="new-link">
          New link (valid until {formatDateTime(link.data.expiresAt)}):{' '}
          <a href={link.data.kycUrl} target="_blank" rel="noopener noreferrer" data-testid="new-link-url">
            {link.data.kycUrl}
          </a>{' '}
          <CopyButton text={link.data.kycUrl} />
        </p>
      )}
      {sync.isSuccess && <p role="status">Synced with Align.</p>}
      {redact.isSuccess && <p role="status">Redacted.</p>}
      <MutationError error={sync.error ?? link.error ?? simulate.error ?? redact.error} />
    </div>
  )
}

function Timeline({ items }: { items: TimelineItem[] }) {
  if (items.length === 0) return <p>Nothing has happened to this customer yet.</p>
  return (
    <ol className="timeline" data-testid="timeline">
      {items.map((item) => (
        <li key={item.key} className={`tl tl-${item.kind}`} data-kind={item.kind}>
          <time dateTime={item.at}>{formatDateTime(item.at)}</time>
          <TimelineText item={item} />
        </li>
      ))}
    </ol>
  )
}

function TimelineText({ item }: { item: TimelineItem }) {
  switch (item.kind) {
    case 'status':
      return (
        <span data-testid="tl-status">
          Status <StatusBadge status={item.entry.status} /> {formatSubStatus(item.entry.subStatus)}{' '}
          <span className="muted">
            from {formatSource(item.entry.source)} (recorded {formatDateTime(item.entry.recordedAt)})
          </span>
        </span>
      )
    case 'link':
      return (
        <span data-testid="tl-link">
          Link issued: {formatLinkReason(item.link.reason)}{' '}
          <span className="muted">
            (while {humanize(item.link.issuedStatus)}; expires {formatDateTime(item.link.expiresAt)}
            {item.link.supersededAt ? `; replaced ${formatDateTime(item.link.supersededAt)}` : '; live'})
          </span>
        </span>
      )
    case 'inbound':
      return (
        <span data-testid="tl-inbound">
          Webhook from Align <code>{item.delivery.eventType}</code>{' '}
          <StatusBadge status={item.delivery.status} />{' '}
          <span className="muted">
            {item.delivery.attempts} attempt{item.delivery.attempts === 1 ? '' : 's'}
            {item.delivery.lastError ? `; ${item.delivery.lastError}` : ''}
          </span>
        </span>
      )
    case 'event':
      return (
        <span data-testid="tl-event">
          Event <code>{item.event.type}</code> <span className="muted">#{item.event.sequence}</span>
        </span>
      )
  }
}
