import { useEffect, useId, useRef, useState, type ReactNode } from 'react'
import type { UseQueryResult } from '@tanstack/react-query'
import { describeError } from '../lib/api'
import { humanize } from '../lib/format'

/** A request under way. */
export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  )
}

/** A failed request: the problem's title and detail (RFC 9457), and a way to try again. */
export function ProblemView({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { title, detail, status } = describeError(error)
  return (
    <div className="problem" role="alert" data-testid="problem">
      <strong className="problem-title">
        {title}
        {status ? ` (${status})` : ''}
      </strong>
      <p className="problem-detail">{detail}</p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  )
}

/** Loading, error or the data of one query, so that no request is shown without its states. */
export function QueryView<T>({
  query,
  what,
  children,
}: {
  query: UseQueryResult<T>
  what: string
  children: (data: T) => ReactNode
}) {
  if (query.isPending) return <Loading what={what} />
  if (query.isError) return <ProblemView error={query.error} onRetry={() => void query.refetch()} />
  return <>{children(query.data)}</>
}

/** A KYC (or delivery) status as a coloured badge; the word is always there, colour is extra. */
export function StatusBadge({ status, testId }: { status: string; testId?: string }) {
  return (
    <span className={`badge badge-${status}`} data-testid={testId}>
      {humanize(status)}
    </span>
  )
}

/**
 * A button that asks first: a modal <dialog> (focus moves into it, Escape cancels, focus returns),
 * then runs `onConfirm`. `confirmLabel` names the action again so that the operator reads what
 * they confirm.
 */
export function ConfirmButton({
  label,
  title,
  children,
  confirmLabel,
  onConfirm,
  disabled,
  danger,
  testId,
}: {
  label: string
  title: string
  children: ReactNode
  confirmLabel: string
  onConfirm: () => void
  disabled?: boolean
  danger?: boolean
  testId?: string
}) {
  const dialog = useRef<HTMLDialogElement>(null)
  const headingId = useId()
  return (
    <>
      <button
        type="button"
        className={danger ? 'danger' : undefined}
        disabled={disabled}
        onClick={() => dialog.current?.showModal()}
        data-testid={testId}
      >
        {label}
      </button>
      <dialog ref={dialog} aria-labelledby={headingId} className="confirm">
        <form method="dialog">
          <h2 id={headingId}>{title}</h2>
          <div className="confirm-body">{children}</div>
          <div className="actions">
            <button value="cancel" autoFocus>
              Cancel
            </button>
            <button
              value="confirm"
              className={danger ? 'danger' : 'primary'}
              onClick={() => {
                dialog.current?.close()
                onConfirm()
              }}
              type="button"
              data-testid={testId ? `${testId}-confirm` : undefined}
            >
              {confirmLabel}
            </button>
          </div>
        </form>
      </dialog>
    </>
  )
}

/** Copies `text` to the clipboard; says so, or says to copy it by hand when the browser refuses. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle')
  useEffect(() => {
    if (state === 'idle') return
    const t = setTimeout(() => setState('idle'), 2500)
    return () => clearTimeout(t)
  }, [state])
  const copy = () => {
    if (!navigator.clipboard) return setState('failed')
    navigator.clipboard.writeText(text).then(
      () => setState('copied'),
      () => setState('failed'),
    )
  }
  return (
    <span className="copy">
      <button type="button" onClick={copy}>
        {label}
      </button>
      <span role="status" aria-live="polite" className="muted">
        {state === 'copied'
          ? 'Copied'
          : state === 'failed'
            ? 'Copy refused by the browser: select and copy it'
            : ''}
      </span>
    </span>
  )
}

/** One labelled figure of the overview. */
export function Figure({
  label,
  value,
  testId,
  hint,
  tone,
}: {
  label: string
  value: ReactNode
  testId: string
  hint?: ReactNode
  tone?: 'ok' | 'warn' | 'bad'
}) {
  return (
    <div className={`figure${tone ? ` figure-${tone}` : ''}`}>
      <span className="figure-label">{label}</span>
      <span className="figure-value" data-testid={testId}>
        {value}
      </span>
      {hint && <span className="figure-hint">{hint}</span>}
    </div>
  )
}

/** The result of a mutation (an action button's): what went wrong, or nothing. */
export function MutationError({ error }: { error: unknown }) {
  if (!error) return null
  return <ProblemView error={error} />
}

/** "Previous page" / "Next page" under a cursor-paged list. */
export function Pager({
  onPrevious,
  onNext,
  busy,
}: {
  /** Absent: on the first page. */
  onPrevious: (() => void) | undefined
  /** Absent: on the last page. */
  onNext: (() => void) | undefined
  busy?: boolean
}) {
  return (
    <div className="pager">
      <button type="button" disabled={!onPrevious} onClick={onPrevious}>
        Previous page
      </button>
      <button type="button" disabled={!onNext} onClick={onNext}>
        Next page
      </button>
      {busy && <span className="muted">Updating…</span>}
    </div>
  )
}

/**
 * The cursors of a paged list seen so far, so that "Previous" goes back (the API's cursors only go
 * forward): `cursor` is the current page's (undefined: the first).
 */
export function useCursorTrail() {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined])
  return {
    cursor: cursors[cursors.length - 1],
    previous: cursors.length > 1 ? () => setCursors(cursors.slice(0, -1)) : undefined,
    next: (nextCursor: string | null | undefined) =>
      nextCursor ? () => setCursors([...cursors, nextCursor]) : undefined,
    reset: () => setCursors([undefined]),
  }
}

/** "all" and one toggle button per status: which of a list's statuses to show. */
export function StatusTabs<S extends string>({
  statuses,
  current,
  onChoose,
  testIdPrefix,
}: {
  statuses: readonly S[]
  current: S | undefined
  onChoose: (status: S | undefined) => void
  testIdPrefix?: string
}) {
  return (
    <div className="tabs" role="group" aria-label="Delivery status">
      <button type="button" aria-pressed={!current} onClick={() => onChoose(undefined)}>
        all
      </button>
      {statuses.map((s) => (
        <button
          key={s}
          type="button"
          aria-pressed={current === s}
          onClick={() => onChoose(s)}
          data-testid={testIdPrefix ? `${testIdPrefix}-${s}` : undefined}
        >
          {s}
        </button>
      ))}
    </div>
  )
}

/** A table's header row; `wide` columns are left out on a phone's width. */
export function TableHead({
  columns,
}: {
  columns: readonly (string | { label: string; wide?: boolean; hidden?: boolean })[]
}) {
  return (
    <thead>
      <tr>
        {columns.map((c) => {
          const col = typeof c === 'string' ? { label: c } : c
          return (
            <th key={col.label} scope="col" className={col.wide ? 'wide' : undefined}>
              {col.hidden ? <span className="sr-only">{col.label}</span> : col.label}
            </th>
          )
        })}
      </tr>
    </thead>
  )
}
