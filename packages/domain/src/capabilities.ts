import type { KycState } from './kyc-flow.js'

/**
 * One entry of Align's `status_breakdown`: the customer's status for one currency on one payment rail,
 * kept as Align sent it (values are free strings; only `approved` grants anything).
 */
export type RailStatus = { currency: string; paymentRail: string; status: string }

/**
 * What a customer may do.
 *
 * - `virtualAccounts`: may open a virtual account. True only when KYC is `approved`.
 * - `transfers`: may make transfers. True only when KYC is `approved`.
 * - `reason`: why not, in words for people (null when both are true).
 * - `rails`: Align's `status_breakdown` as last seen, unchanged.
 */
export type Capabilities = {
  virtualAccounts: boolean
  transfers: boolean
  reason: string | null
  rails: RailStatus[]
}

/** The one rail status that grants use of a rail. Anything else (including values Align adds later) does not. */
export const RAIL_APPROVED_STATUS = 'approved'

/** Why a customer with this KYC state may not transact, or null when KYC is approved. */
export function kycBlockReason(kyc: KycState): string | null {
  switch (kyc.status) {
    case 'approved':
      return null
    case 'not_started':
      return 'KYC not started: the customer must complete KYC first'
    case 'pending':
      return 'KYC pending: the submission is still under review'
    case 'rejected':
      return kyc.subStatus === 'kyc_form_resubmission_required'
        ? 'KYC rejected: the customer must resubmit the KYC form'
        : 'KYC rejected'
  }
}

/**
 * The capability gate. Both `virtualAccounts` and `transfers` are true exactly when KYC is `approved`;
 * otherwise `reason` says why not. `rails` is a copy of the given `status_breakdown`.
 */
export function evaluateCapabilities(input: { kyc: KycState; rails: readonly RailStatus[] }): Capabilities {
  const reason = kycBlockReason(input.kyc)
  const allowed = reason === null
  return {
    virtualAccounts: allowed,
    transfers: allowed,
    reason,
    rails: input.rails.map((rail) => ({ ...rail })),
  }
}

/**
 * May the customer use `paymentRail` for `currency`? Only when KYC is approved and every
 * `status_breakdown` entry for that pair (matched case-insensitively, since Align's casing of codes is
 * not a promise) says `approved`. No entry, or any other status, means no; `reason` says which.
 */
export function canUseRail(input: {
  kyc: KycState
  rails: readonly RailStatus[]
  currency: string
  paymentRail: string
}): { allowed: boolean; reason: string | null } {
  const kycReason = kycBlockReason(input.kyc)
  if (kycReason !== null) return { allowed: false, reason: kycReason }

  const currency = input.currency.toLowerCase()
  const paymentRail = input.paymentRail.toLowerCase()
  const label = `${input.paymentRail} for ${input.currency}`
  const entries = input.rails.filter(
    (rail) => rail.currency.toLowerCase() === currency && rail.paymentRail.toLowerCase() === paymentRail,
  )
  if (entries.length === 0) return { allowed: false, reason: `Align reports no status for ${label}` }
  const blocking = entries.find((rail) => rail.status.toLowerCase() !== RAIL_APPROVED_STATUS)
  if (blocking !== undefined)
    return { allowed: false, reason: `${label} is ${blocking.status}, not approved` }
  return { allowed: true, reason: null }
}
