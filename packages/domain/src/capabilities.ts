import type { KycState } from './kyc-flow.js'
import type { KycStatus } from './kyc-status.js'

/**
 * One entry of Align's `status_breakdown`: the customer's status for one currency on one payment rail,
 * kept as Align sent it (values are free strings; only `approved` grants anything).
 */
export type RailStatus = { currency: string; paymentRail: string; status: string }

/**
 * What a customer may do.
 *
 * - `virtualAccounts`: may open a virtual account at all. True only when KYC is `approved` (whether a
 *   given currency is open as well is `virtualAccountCurrencies`: it may be empty even when this is true).
 * - `transfers`: may make transfers. True only when KYC is `approved`.
 * - `reason`: why not, in words for people (null when both are true).
 * - `rails`: Align's `status_breakdown` as last seen, unchanged.
 * - `virtualAccountCurrencies`: the source currencies a virtual account may be opened in now, in the
 *   order of {@link VIRTUAL_ACCOUNT_CURRENCIES}. A currency is listed when any of its variants in
 *   {@link VIRTUAL_ACCOUNT_RAIL_RULES} is allowed by {@link decideVirtualAccount} (so `usd` is listed when
 *   either plain `usd` or `usd` with `sourceRails: 'swift'` is). Empty unless KYC is `approved`.
 */
export type Capabilities = {
  virtualAccounts: boolean
  transfers: boolean
  reason: string | null
  rails: RailStatus[]
  virtualAccountCurrencies: VirtualAccountCurrency[]
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
 * otherwise `reason` says why not. `rails` is a copy of the given `status_breakdown`;
 * `virtualAccountCurrencies` applies {@link decideVirtualAccount} to every variant of the rail table.
 */
export function evaluateCapabilities(input: { kyc: KycState; rails: readonly RailStatus[] }): Capabilities {
  const { kyc, rails } = input
  const reason = kycBlockReason(kyc)
  const allowed = reason === null
  const open = new Set(
    VIRTUAL_ACCOUNT_RAIL_RULES.filter(
      (rule) =>
        decideVirtualAccount({ kyc, rails, currency: rule.currency, sourceRails: rule.sourceRails }).allowed,
    ).map((rule) => rule.currency),
  )
  return {
    virtualAccounts: allowed,
    transfers: allowed,
    reason,
    rails: rails.map((rail) => ({ ...rail })),
    virtualAccountCurrencies: VIRTUAL_ACCOUNT_CURRENCIES.filter((currency) => open.has(currency)),
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

/** The source currencies a virtual account can be opened in, in the order capabilities list them. */
export const VIRTUAL_ACCOUNT_CURRENCIES = Object.freeze(['usd', 'eur', 'aed'] as const)

/** A source currency of a virtual account: `usd`, `eur` or `aed`. */
export type VirtualAccountCurrency = (typeof VIRTUAL_ACCOUNT_CURRENCIES)[number]

/**
 * The one non-default source rail a virtual account can ask for: `swift` (international wires into a
 * `usd` account). `null` where it is used means the currency's default (local) rails.
 */
export type VirtualAccountSourceRails = 'swift'

/**
 * One variant of a virtual account and the rails that gate it.
 *
 * - `currency`, `sourceRails`: the variant, as the create request names it (`sourceRails` null: default).
 * - `anyOf`: payment rail codes (lower-case, as Align spells them); an approved `status_breakdown` entry
 *   for `currency` on any one of them opens the variant.
 */
export type VirtualAccountRailRule = Readonly<{
  currency: VirtualAccountCurrency
  sourceRails: VirtualAccountSourceRails | null
  anyOf: readonly string[]
}>

const railRule = (
  currency: VirtualAccountCurrency,
  sourceRails: VirtualAccountSourceRails | null,
  anyOf: readonly string[],
): VirtualAccountRailRule => Object.freeze({ currency, sourceRails, anyOf: Object.freeze([...anyOf]) })

/**
 * The rail rule: which approved rail opens which virtual account variant. Exactly these variants exist:
 *
 * | currency | sourceRails | needs an approved rail |
 * |----------|-------------|------------------------|
 * | `usd`    | null        | `ach` or `wire`        |
 * | `usd`    | `swift`     | `swift`                |
 * | `eur`    | null        | `sepa`                 |
 * | `aed`    | null        | `uaefts`               |
 *
 * "Approved" has {@link canUseRail}'s meaning (every entry for the pair says `approved`, codes matched
 * case-insensitively). Any other variant (`eur` or `aed` with `sourceRails: 'swift'`) is not offered and
 * is never allowed. When Align has reported no `status_breakdown` at all, overall KYC approval decides
 * every variant in the table (see {@link decideVirtualAccount}).
 */
export const VIRTUAL_ACCOUNT_RAIL_RULES: readonly VirtualAccountRailRule[] = Object.freeze([
  railRule('usd', null, ['ach', 'wire']),
  railRule('usd', 'swift', ['swift']),
  railRule('eur', null, ['sepa']),
  railRule('aed', null, ['uaefts']),
])

/**
 * Whether a virtual account may be opened now, and if not why.
 *
 * - allowed: `requiredRails` are the rails of the variant's rule (any one of them sufficed, or Align
 *   reported no breakdown at all).
 * - `kyc_not_approved`: KYC is not `approved`; `kycStatus` is the customer's status.
 * - `rail_not_approved`: KYC is approved but no rail of the variant is; `requiredRails` are the rails
 *   any one of which would open it (empty for a variant the table does not offer).
 *
 * `reason` is in words for people and names each missing rail with its status.
 */
export type VirtualAccountDecision =
  | { allowed: true; reason: null; requiredRails: readonly string[] }
  | { allowed: false; code: 'kyc_not_approved'; kycStatus: KycStatus; reason: string }
  | {
      allowed: false
      code: 'rail_not_approved'
      currency: VirtualAccountCurrency
      requiredRails: readonly string[]
      reason: string
    }

/**
 * The virtual account gate. Pure. Rules, in order:
 *
 * 1. KYC not `approved` -> `kyc_not_approved` (the reason is {@link kycBlockReason}'s);
 * 2. a variant not in {@link VIRTUAL_ACCOUNT_RAIL_RULES} (`eur`/`aed` with `swift`) -> `rail_not_approved`
 *    with no required rails;
 * 3. `rails` empty (Align reported no `status_breakdown`) -> allowed: overall approval decides, as the
 *    breakdown is optional in Align's answers and its absence says nothing against a rail. A breakdown
 *    that only lists other currencies is not empty and does not count as absent;
 * 4. any rail of the rule usable per {@link canUseRail} -> allowed;
 * 5. otherwise `rail_not_approved`, the reason quoting each rail's status.
 */
export function decideVirtualAccount(input: {
  kyc: KycState
  rails: readonly RailStatus[]
  currency: VirtualAccountCurrency
  sourceRails: VirtualAccountSourceRails | null
}): VirtualAccountDecision {
  const { kyc, rails, currency, sourceRails } = input
  const kycReason = kycBlockReason(kyc)
  if (kycReason !== null)
    return { allowed: false, code: 'kyc_not_approved', kycStatus: kyc.status, reason: kycReason }

  const found = VIRTUAL_ACCOUNT_RAIL_RULES.find(
    (candidate) => candidate.currency === currency && candidate.sourceRails === sourceRails,
  )
  if (found === undefined) {
    return {
      allowed: false,
      code: 'rail_not_approved',
      currency,
      requiredRails: [],
      reason: `${currency} virtual accounts cannot take sourceRails ${String(sourceRails)}: only usd can`,
    }
  }

  const requiredRails = found.anyOf
  if (rails.length === 0) return { allowed: true, reason: null, requiredRails }

  const refusals: string[] = []
  for (const paymentRail of requiredRails) {
    const use = canUseRail({ kyc, rails, currency, paymentRail })
    if (use.reason === null) return { allowed: true, reason: null, requiredRails }
    refusals.push(use.reason)
  }
  const variant = sourceRails === null ? currency : `${currency} (sourceRails ${sourceRails})`
  return {
    allowed: false,
    code: 'rail_not_approved',
    currency,
    requiredRails,
    reason: `${variant} virtual accounts need an approved ${requiredRails.join(' or ')} rail: ${refusals.join('; ')}`,
  }
}
