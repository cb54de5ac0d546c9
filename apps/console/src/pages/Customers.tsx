import { useId, useState, type FormEvent } from 'react'
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { unwrap, useApi } from '../lib/api'
import { customerName, formatDateTime, formatSubStatus } from '../lib/format'
import { Link, navigate, useLocation, withQuery } from '../lib/router'
import { Loading, Pager, ProblemView, StatusBadge, TableHead } from '../components/ui'

const STATUSES = ['not_started', 'pending', 'approved', 'rejected'] as const
type Status = (typeof STATUSES)[number]

const PAGE_SIZE = 25

/**
 * Customers, newest first: by exact email (any case), by KYC status, or the ones stuck in pending
 * (the overview's link); cursor paging (the cursors seen are kept so "Previous" goes back). The
 * filters live in the URL, so a filtered list can be shared and survives a reload.
 */
export function Customers() {
  const api = useApi()
  const { query } = useLocation()
  const email = query.get('email') ?? ''
  const statusParam = query.get('status')
  const status = STATUSES.includes(statusParam as Status) ? (statusParam as Status) : undefined
  const stuck = query.get('stuck') === 'true'
  const cursor = query.get('cursor') ?? undefined
  const [trail, setTrail] = useState<string[]>([])
  const list = useQuery({
    queryKey: ['customers', { email, status, stuck, cursor }],
    queryFn: () =>
      unwrap(
        api.GET('/v1/customers', {
          params: {
            query: {
              limit: PAGE_SIZE,
              ...(email ? { email } : {}),
              ...(status ? { status } : {}),
              ...(stuck ? { stuck: true } : {}),
              ...(cursor ? { cursor } : {}),
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  })
  const filters = { email, status, stuck: stuck ? 'true' : undefined }
  return (
    <section aria-labelledby="customers-title">
      <h1 id="customers-title">Customers</h1>
      <Filters
        key={`${email}|${status ?? ''}|${stuck}`}
        email={email}
        status={status}
        stuck={stuck}
        onApply={(f) => {
          setTrail([])
          navigate(
            withQuery('/customers', {
              email: f.email,
              status: f.status,
              stuck: f.stuck ? 'true' : undefined,
            }),
          )
        }}
      />
      {stuck && (
        <p className="notice">
          Showing customers pending for over 7 days without a status change.{' '}
          <Link to={withQuery('/customers', { email, status })}>Show all</Link>
        </p>
      )}
      {list.isPending ? (
        <Loading what="customers" />
      ) : list.isError ? (
        <ProblemView error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <p data-testid="customers-empty">No customer matches.</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="customers-table">
            <caption className="sr-only">Customers, newest first</caption>
            <TableHead
              columns={[
                'customer',
                'KYC',
                { label: 'step', wide: true },
                { label: 'status since', wide: true },
                { label: 'created', wide: true },
              ]}
            />
            <tbody>
              {list.data.items.map((c) => (
                <tr key={c.id} data-testid="customer-row">
                  <td>
                    <Link to={`/customers/${c.id}`} className="row-link">
                      {c.redactedAt ? <em>redacted</em> : c.email}
                    </Link>
                    <span className="muted block">
                      {customerName(c)} · {c.type}
                    </span>
                  </td>
                  <td>
                    <StatusBadge status={c.kyc.status} />
                  </td>
                  <td className="wide">{formatSubStatus(c.kyc.subStatus)}</td>
                  <td className="wide">{formatDateTime(c.kyc.updatedAt)}</td>
                  <td className="wide">{formatDateTime(c.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager
        onPrevious={
          cursor
            ? () => {
                setTrail(trail.slice(0, -1))
                navigate(withQuery('/customers', { ...filters, cursor: trail[trail.length - 1] }))
              }
            : undefined
        }
        onNext={
          list.data?.nextCursor
            ? () => {
                setTrail([...trail, cursor ?? ''])
                navigate(withQuery('/customers', { ...filters, cursor: list.data?.nextCursor }))
              }
            : undefined
        }
        busy={list.isFetching && !list.isPending}
      />
    </section>
  )
}

function Filters(props: {
  email: string
  status: Status | undefined
  stuck: boolean
  onApply: (f: { email: string; status: Status | undefined; stuck: boolean }) => void
}) {
  const [email, setEmail] = useState(props.email)
  const [status, setStatus] = useState<Status | ''>(props.status ?? '')
  const id = useId()
  const submit = (e: FormEvent) => {
    e.preventDefault()
    props.onApply({
      email: email.trim(),
      status: status || undefined,
      stuck: props.stuck && (!status || status === 'pending'),
    })
  }
  return (
    <form className="filters" role="search" onSubmit={submit}>
      <div>
        <label htmlFor={`${id}-email`}>Email</label>
        <input
          id={`${id}-email`}
          type="email"
          placeholder="alice@example.com"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
      </div>
      <div>
        <label htmlFor={`${id}-status`}>KYC status</label>
        <select id={`${id}-status`} value={status} onChange={(e) => setStatus(e.target.value as Status | '')}>
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s.replace('_', ' ')}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="primary">
        Search
      </button>
    </form>
  )
}
