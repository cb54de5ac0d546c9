import { useEffect, useState } from 'react'
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { unwrap, useApi, type Schemas } from '../lib/api'
import { formatDateTime, humanize } from '../lib/format'
import { navigate, useLocation, withQuery } from '../lib/router'
import {
  ConfirmButton,
  CopyButton,
  Loading,
  MutationError,
  Pager,
  ProblemView,
  QueryView,
  StatusBadge,
  StatusTabs,
  TableHead,
  useCursorTrail,
} from '../components/ui'

const INBOUND_STATUSES = ['pending', 'failed', 'processed', 'ignored'] as const
type InboundStatus = (typeof INBOUND_STATUSES)[number]
const OUTBOUND_STATUSES = ['pending', 'delivered', 'failed'] as const
type OutboundStatus = (typeof OUTBOUND_STATUSES)[number]

/**
 * Inbound: the deliveries Align sent, by status, with retry for pending and failed ones. Outbound:
 * the endpoints this service delivers events to, each with its deliveries (retry a failed one),
 * disable/enable and secret rotation (the new secret is shown once).
 */
export function Webhooks() {
  // The overview links to #outbound; pushState does not scroll to it by itself.
  useEffect(() => {
    const target = window.location.hash.slice(1)
    if (target) document.getElementById(target)?.scrollIntoView()
  }, [])
  return (
    <section aria-labelledby="webhooks-title">
      <h1 id="webhooks-title">Webhooks</h1>
      <Inbound />
      <Outbound />
    </section>
  )
}

function Inbound() {
  const api = useApi()
  const queryClient = useQueryClient()
  const { query } = useLocation()
  const statusParam = query.get('status')
  const status = INBOUND_STATUSES.includes(statusParam as InboundStatus)
    ? (statusParam as InboundStatus)
    : undefined
  const trail = useCursorTrail()
  const cursor = trail.cursor
  const list = useQuery({
    queryKey: ['inbound', { status, cursor }],
    queryFn: () =>
      unwrap(
        api.GET('/v1/webhooks/deliveries', {
          params: { query: { limit: 25, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) } },
        }),
      ),
    placeholderData: keepPreviousData,
    refetchInterval: 5000,
  })
  const retry = useMutation({
    mutationFn: (id: string) =>
      unwrap(api.POST('/v1/webhooks/deliveries/{id}/retry', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['inbound'] }),
  })
  const choose = (s: InboundStatus | undefined) => {
    trail.reset()
    navigate(withQuery('/webhooks', { status: s }), { replace: true })
  }
  return (
    <div className="card" id="inbound">
      <h2>Inbound, from Align</h2>
      <StatusTabs statuses={INBOUND_STATUSES} current={status} onChoose={choose} testIdPrefix="inbound-tab" />
      <MutationError error={retry.error} />
      {list.isPending ? (
        <Loading what="deliveries" />
      ) : list.isError ? (
        <ProblemView error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <p data-testid="inbound-empty">No {status ?? ''} deliveries.</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="inbound-table">
            <TableHead
              columns={[
                'received',
                'event',
                'status',
                { label: 'attempts', wide: true },
                { label: 'last error', wide: true },
                { label: 'actions', hidden: true },
              ]}
            />
            <tbody>
              {list.data.items.map((d) => (
                <tr key={d.id} data-testid="inbound-row" data-id={d.id}>
                  <td>{formatDateTime(d.receivedAt)}</td>
                  <td>
                    <code>{d.eventType}</code>
                    <span className="muted block wide">
                      <code>{d.entityId}</code>
                    </span>
                  </td>
                  <td>
                    <StatusBadge status={d.status} testId="inbound-status" />
                  </td>
                  <td className="wide">{d.attempts}</td>
                  <td className="wide">{d.lastError ?? '–'}</td>
                  <td>
                    {(d.status === 'failed' || d.status === 'pending') && (
                      <button
                        type="button"
                        onClick={() => retry.mutate(d.id)}
                        disabled={retry.isPending && retry.variables === d.id}
                        data-testid="inbound-retry"
                      >
                        Retry
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager onPrevious={trail.previous} onNext={trail.next(list.data?.nextCursor)} />
    </div>
  )
}

function Outbound() {
  const api = useApi()
  const endpoints = useQuery({
    queryKey: ['endpoints'],
    queryFn: () => unwrap(api.GET('/v1/webhook-endpoints')),
  })
  return (
    <div className="card" id="outbound">
      <h2>Outbound, to endpoints</h2>
      <QueryView query={endpoints} what="endpoints">
        {(data) =>
          data.items.length === 0 ? (
            <p>No endpoint is registered (POST /v1/webhook-endpoints).</p>
          ) : (
            <ul className="endpoints">
              {data.items.map((e) => (
                <Endpoint key={e.id} endpoint={e} />
              ))}
            </ul>
          )
        }
      </QueryView>
    </div>
  )
}

function Endpoint({ endpoint: e }: { endpoint: Schemas['EndpointDto'] }) {
  const api = useApi()
  const queryClient = useQueryClient()
  const [open, setOpen] = useState(false)
  const path = { params: { path: { id: e.id } } }
  const toggle = useMutation({
    mutationFn: (status: 'enabled' | 'disabled') =>
      unwrap(api.PATCH('/v1/webhook-endpoints/{id}', { ...path, body: { status } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['endpoints'] }),
  })
  const rotate = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/webhook-endpoints/{id}/rotate-secret', path)),
  })
  return (
    <li className="endpoint" data-testid="endpoint">
      <div className="endpoint-head">
        <div>
          <code className="url">{e.url}</code> <StatusBadge status={e.status} testId="endpoint-status" />
          <span className="muted block">
            {e.description ?? ''} {e.eventTypes.length ? e.eventTypes.join(', ') : 'every event type'} · since{' '}
            {formatDateTime(e.createdAt)}
          </span>
        </div>
        <div className="actions">
          <button
            type="button"
            aria-expanded={open}
            onClick={() => setOpen(!open)}
            data-testid="endpoint-deliveries"
          >
            {open ? 'Hide deliveries' : 'Deliveries'}
          </button>
          {e.status === 'enabled' ? (
            <ConfirmButton
              label="Disable"
              title="Disable this endpoint?"
              confirmLabel="Disable"
              onConfirm={() => toggle.mutate('disabled')}
              disabled={toggle.isPending}
              danger
              testId="endpoint-disable"
            >
              <p>
                Nothing more is sent to it, and its pending deliveries are dropped (shown as failed; retry
                them once enabled).
              </p>
            </ConfirmButton>
          ) : (
            <button
              type="button"
              onClick={() => toggle.mutate('enabled')}
              disabled={toggle.isPending}
              data-testid="endpoint-enable"
            >
              Enable
            </button>
          )}
          <ConfirmButton
            label="Rotate secret"
            title="Rotate this endpoint's secret?"
            confirmLabel="Rotate"
            onConfirm={() => rotate.mutate()}
            disabled={rotate.isPending}
            testId="endpoint-rotate"
          >
            <p>A new secret signs every delivery from now on; the old one keeps signing too for 24 h.</p>
          </ConfirmButton>
        </div>
      </div>
      {rotate.data && (
        <p className="notice" data-testid="endpoint-secret">
          New secret (shown only now): <code>{rotate.data.secret}</code>{' '}
          <CopyButton text={rotate.data.secret} />
        </p>
      )}
      <MutationError error={toggle.error ?? rotate.error} />
      {open && <EndpointDeliveries endpointId={e.id} />}
    </li>
  )
}

function EndpointDeliveries({ endpointId }: { endpointId: string }) {
  const api = useApi()
  const queryClient = useQueryClient()
  const [status, setStatus] = useState<OutboundStatus | undefined>(undefined)
  const trail = useCursorTrail()
  const cursor = trail.cursor
  const list = useQuery({
    queryKey: ['endpoint-deliveries', endpointId, { status, cursor }],
    queryFn: () =>
      unwrap(
        api.GET('/v1/webhook-endpoints/{id}/deliveries', {
          params: {
            path: { id: endpointId },
            query: { limit: 25, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) },
          },
        }),
      ),
    placeholderData: keepPreviousData,
    refetchInterval: 5000,
  })
  const retry = useMutation({
    mutationFn: (eventId: string) =>
      unwrap(
        api.POST('/v1/webhook-endpoints/{id}/deliveries/{eventId}/retry', {
          params: { path: { id: endpointId, eventId } },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['endpoint-deliveries', endpointId] }),
  })
  return (
    <div className="endpoint-deliveries">
      <StatusTabs
        statuses={OUTBOUND_STATUSES}
        current={status}
        onChoose={(s) => {
          setStatus(s)
          trail.reset()
        }}
      />
      <MutationError error={retry.error} />
      <QueryView query={list} what="the endpoint's deliveries">
        {(data) =>
          data.items.length === 0 ? (
            <p>No {status ?? ''} deliveries.</p>
          ) : (
            <div className="table-wrap">
              <table data-testid="outbound-table">
                <TableHead
                  columns={[
                    'event',
                    'status',
                    { label: 'attempts', wide: true },
                    { label: 'last answer', wide: true },
                    { label: 'next attempt / delivered', wide: true },
                    { label: 'actions', hidden: true },
                  ]}
                />
                <tbody>
                  {data.items.map((d) => (
                    <tr key={d.eventId} data-testid="outbound-row">
                      <td>
                        <code>{d.eventType}</code>
                        <span className="muted block">
                          <code>{d.eventId}</code>
                        </span>
                      </td>
                      <td>
                        <StatusBadge status={d.status} />
                      </td>
                      <td className="wide">{d.attempts}</td>
                      <td className="wide">
                        {d.lastStatusCode ?? ''}{' '}
                        {d.lastError ? humanize(d.lastError) : d.lastStatusCode ? '' : '–'}
                      </td>
                      <td className="wide">{formatDateTime(d.deliveredAt ?? d.nextAttemptAt)}</td>
                      <td>
                        {d.status === 'failed' && (
                          <button
                            type="button"
                            onClick={() => retry.mutate(d.eventId)}
                            data-testid="outbound-retry"
                          >
                            Retry
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
      <Pager onPrevious={trail.previous} onNext={trail.next(list.data?.nextCursor)} />
    </div>
  )
}
