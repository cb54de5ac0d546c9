import { parseDuration } from './duration.js'
import { assertValidDate, DomainError } from './errors.js'
import type { KycState } from './kyc-flow.js'
import type { KycStatus, KycSubStatus } from './kyc-status.js'

/**
 * How long a KYC link is treated as valid, and how early it is replaced.
 *
 * - `ttlMs`: lifetime of a new link, from the moment it was obtained (`KYC_LINK_TTL`). Positive.
 * - `renewalMarginMs`: a link whose remaining lifetime is this or less is replaced rather than handed
 *   out, so a customer never receives a link that dies while they fill in the form
 *   (`KYC_LINK_RENEWAL_MARGIN`). Zero or more, and shorter than `ttlMs` (otherwise every new link
 *   would already be due for renewal).
 */
export type LinkPolicy = { ttlMs: number; renewalMarginMs: number }

/**
 * The documented defaults as duration texts (the form of `KYC_LINK_TTL` and `KYC_LINK_RENEWAL_MARGIN`):
 * links live 24 hours and are renewed 5 minutes before they expire.
 */
export const LINK_POLICY_DEFAULTS: Readonly<{ ttl: string; renewalMargin: string }> = Object.freeze({
  ttl: '24h',
  renewalMargin: '5m',
})

/** {@link LINK_POLICY_DEFAULTS} in milliseconds: `{ ttlMs: 86_400_000, renewalMarginMs: 300_000 }`. */
export const DEFAULT_LINK_POLICY: LinkPolicy = Object.freeze({
  ttlMs: 24 * 3_600_000,
  renewalMarginMs: 5 * 60_000,
})

/**
 * Why a {@link LinkPolicy} is inconsistent, and which of its two numbers is to blame.
 *
 * - `ttl_not_positive` (`field: 'ttl'`): a link would be dead when obtained.
 * - `margin_negative` (`field: 'renewalMargin'`): a margin below zero means nothing.
 * - `margin_not_shorter_than_ttl` (`field: 'renewalMargin'`): every new link would already be due for
 *   renewal, so each request would obtain another one.
 */
export type LinkPolicyProblem = {
  reason: 'ttl_not_positive' | 'margin_negative' | 'margin_not_shorter_than_ttl'
  field: 'ttl' | 'renewalMargin'
  /** The rule in words, with both numbers, for a message. */
  detail: string
}

/**
 * Checks a link policy's numbers against each other. Pure; returns the first problem, in this order:
 * TTL not positive, margin negative, margin not shorter than the TTL; `null` when the policy is
 * consistent. {@link createLinkPolicy} throws on it; an app that validates its own configuration
 * (and must name its own variables) calls it directly.
 */
export function checkLinkPolicy(policy: LinkPolicy): LinkPolicyProblem | null {
  const { ttlMs, renewalMarginMs } = policy
  if (ttlMs <= 0) {
    return { reason: 'ttl_not_positive', field: 'ttl', detail: `ttl must be positive, got ${ttlMs}ms` }
  }
  if (renewalMarginMs < 0) {
    return {
      reason: 'margin_negative',
      field: 'renewalMargin',
      detail: `renewalMargin must not be negative, got ${renewalMarginMs}ms`,
    }
  }
  if (renewalMarginMs >= ttlMs) {
    return {
      reason: 'margin_not_shorter_than_ttl',
      field: 'renewalMargin',
      detail: `renewalMargin (${renewalMarginMs}ms) must be shorter than ttl (${ttlMs}ms)`,
    }
  }
  return null
}

function toMs(value: string | number, name: string): number {
  if (typeof value === 'string') return parseDuration(value)
  if (!Number.isSafeInteger(value)) {
    throw new DomainError(
      'invalid_link_policy',
      `${name} must be a whole number of milliseconds, got ${value}`,
    )
  }
  return value
}

/**
 * Builds a validated {@link LinkPolicy} from duration texts (`24h`, see `parseDuration`) or numbers of
 * milliseconds.
 *
 * @throws DomainError `invalid_duration` for unparseable text; `invalid_link_policy` when
 *   {@link checkLinkPolicy} finds a problem (its `detail` is the message).
 */
export function createLinkPolicy(input: {
  ttl: string | number
  renewalMargin: string | number
}): LinkPolicy {
  const policy = {
    ttlMs: toMs(input.ttl, 'ttl'),
    renewalMarginMs: toMs(input.renewalMargin, 'renewalMargin'),
  }
  const problem = checkLinkPolicy(policy)
  if (problem !== null) throw new DomainError('invalid_link_policy', problem.detail)
  return policy
}

/**
 * The KYC link currently held for a customer.
 *
 * - `expiresAt`: when the link stops being valid (as recorded when it was obtained).
 * - `issuedDuring` (optional): the KYC `(status, subStatus)` when the link was obtained. Only used to
 *   detect a link that predates a rejection asking for resubmission; without it that check is skipped.
 *   (A timestamp would not do: a state's `observedAt` moves forward with every confirmation.)
 */
export type LinkSession = {
  expiresAt: Date
  issuedDuring?: { status: KycStatus; subStatus: KycSubStatus | null }
}

/**
 * Why a new link is needed.
 *
 * - `none_yet`: the customer has no link.
 * - `expired`: the link's `expiresAt` is now or past.
 * - `expiring`: the link expires within the renewal margin.
 * - `forced`: the caller asked for a new link (`forceRenew`).
 * - `resubmission_required`: KYC is `rejected/kyc_form_resubmission_required` but the link was
 *   obtained in another state (`LinkSession.issuedDuring`): it belongs to the rejected submission, so
 *   the customer gets a fresh one for the resubmission.
 */
export type RenewReason = 'none_yet' | 'expired' | 'expiring' | 'forced' | 'resubmission_required'

/**
 * What to do about a customer's KYC link.
 *
 * - `reuse`: hand out the current link; `expiresAt` is its expiry.
 * - `renew`: obtain a new link from Align; `expiresAt` = `now + policy.ttlMs` is the new link's expiry.
 * - `refuse`: KYC is already approved, so no link is handed out (`409 kyc_already_approved`).
 */
export type LinkDecision =
  | { action: 'reuse'; expiresAt: Date }
  | { action: 'renew'; reason: RenewReason; expiresAt: Date }
  | { action: 'refuse'; reason: 'kyc_already_approved' }

/**
 * Decides whether to reuse, renew or refuse a KYC link. Pure; `now` is the caller's clock.
 *
 * In order: approved KYC refuses (even when forced); `forceRenew` renews (`forced`); no session
 * renews (`none_yet`); `expiresAt <= now` renews (`expired`); KYC
 * `rejected/kyc_form_resubmission_required` with a link issued during another state renews
 * (`resubmission_required`); a link with `expiresAt - now <= renewalMarginMs` renews (`expiring`);
 * otherwise reuse. Once the new link is recorded with `issuedDuring` = the rejected state, it is reused.
 *
 * Only the status and sub_status of `kyc` are read (a whole `KycState` will do).
 *
 * @throws DomainError `invalid_date` for an invalid `now` or `session.expiresAt`.
 */
export function decideLinkRenewal(input: {
  session: LinkSession | null
  kyc: Pick<KycState, 'status' | 'subStatus'>
  forceRenew: boolean
  policy: LinkPolicy
  now: Date
}): LinkDecision {
  const { session, kyc, forceRenew, policy, now } = input
  assertValidDate(now, 'now')
  if (kyc.status === 'approved') return { action: 'refuse', reason: 'kyc_already_approved' }

  const renew = (reason: RenewReason): LinkDecision => ({
    action: 'renew',
    reason,
    expiresAt: new Date(now.getTime() + policy.ttlMs),
  })
  if (forceRenew) return renew('forced')
  if (session === null) return renew('none_yet')

  assertValidDate(session.expiresAt, 'session.expiresAt')
  const remaining = session.expiresAt.getTime() - now.getTime()
  if (remaining <= 0) return renew('expired')
  if (predatesResubmission(session, kyc)) return renew('resubmission_required')
  if (remaining <= policy.renewalMarginMs) return renew('expiring')
  return { action: 'reuse', expiresAt: session.expiresAt }
}

function isResubmission(status: KycStatus, subStatus: KycSubStatus | null): boolean {
  return status === 'rejected' && subStatus === 'kyc_form_resubmission_required'
}

function predatesResubmission(session: LinkSession, kyc: Pick<KycState, 'status' | 'subStatus'>): boolean {
  const issued = session.issuedDuring
  if (issued === undefined || !isResubmission(kyc.status, kyc.subStatus)) return false
  return !isResubmission(issued.status, issued.subStatus)
}
