/**
 * How the console writes numbers, times and the API's enum values. Pure functions (time is a
 * parameter), tested in format.spec.ts; every page uses these so that the same value reads the same
 * everywhere.
 */

const COUNT = new Intl.NumberFormat('en-US')

/** A count with thousands separators: 100000 -> "100,000". */
export function formatCount(n: number): string {
  return COUNT.format(n)
}

/** `part` of `whole` as a whole percentage ("42 %"); "–" when there is no whole. */
export function formatPercent(part: number, whole: number): string {
  if (whole <= 0) return '–'
  const p = (part / whole) * 100
  return `${p > 0 && p < 1 ? '<1' : Math.round(p)} %`
}

/**
 * A duration in seconds, in the largest unit that keeps it readable: "45 s", "12 min", "3.5 h",
 * "2.1 d". null (nothing measured, e.g. no approval yet) is "–".
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–'
  const s = Math.max(0, seconds)
  if (s < 60) return `${Math.round(s)} s`
  if (s < 3600) return `${Math.round(s / 60)} min`
  if (s < 86_400) return `${trim(s / 3600)} h`
  return `${trim(s / 86_400)} d`
}

/** One decimal, without a trailing ".0". */
function trim(n: number): string {
  const r = Math.round(n * 10) / 10
  return Number.isInteger(r) ? String(r) : r.toFixed(1)
}

/** An ISO timestamp as "2026-12-01 14:52:07 UTC" (always UTC, like the API); "–" for null. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '–'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

/** How long before `now` an ISO time was: "just now", "5 min ago", "3 h ago", "2 d ago" ("in …" ahead). */
export function formatRelative(iso: string | null | undefined, now: Date): string {
  if (!iso) return '–'
  const t = new Date(iso).getTime()
  if (Number.isNaN(t)) return iso
  const diff = (now.getTime() - t) / 1000
  if (Math.abs(diff) < 45) return 'just now'
  const text = formatDuration(Math.abs(diff))
  return diff > 0 ? `${text} ago` : `in ${text}`
}

/** The API's snake_case values as words: "not_started" -> "not started"; null -> "–". */
export function humanize(value: string | null | undefined): string {
  if (!value) return '–'
  return value.replace(/_/g, ' ')
}

const SUB_STATUS: Record<string, string> = {
  kyc_form_submission_started: 'form started',
  kyc_form_submission_accepted: 'form submitted',
  kyc_form_resubmission_required: 'resubmission required',
}

/** A KYC sub-status in a few words ("form submitted"); a value Align added later as it is. */
export function formatSubStatus(subStatus: string | null | undefined): string {
  if (!subStatus) return '–'
  return SUB_STATUS[subStatus] ?? humanize(subStatus)
}

const SOURCE: Record<string, string> = {
  webhook: "Align's webhook",
  sync: 'sync with Align',
  simulation: 'sandbox simulation',
  session: 'read after a new link',
}

/** Where a status change came from (the history's `source`). */
export function formatSource(source: string): string {
  return SOURCE[source] ?? humanize(source)
}

const REASON: Record<string, string> = {
  none_yet: 'first link',
  expired: 'the previous link had expired',
  expiring: 'the previous link was about to expire',
  forced: 'a new link was forced (forceRenew)',
  resubmission_required: 'Align asked for a resubmission',
}

/** Why a link was issued (the link's `reason`). */
export function formatLinkReason(reason: string): string {
  return REASON[reason] ?? humanize(reason)
}

/** A UTC day ("2026-12-01") as on the per-day chart's axis: "Dec 1". */
export function formatDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`)
  if (Number.isNaN(d.getTime())) return day
  return d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' })
}

/** A customer's display name: the person's or company's name; "redacted" once erased. */
export function customerName(c: {
  type: string
  firstName: string | null
  lastName: string | null
  companyName: string | null
  redactedAt?: string | null
}): string {
  if (c.redactedAt) return 'redacted'
  if (c.type === 'corporate') return c.companyName ?? '–'
  const name = [c.firstName, c.lastName].filter(Boolean).join(' ')
  return name || '–'
}
