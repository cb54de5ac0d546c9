import type { ApplyDecision, IgnoreReason } from './kyc-flow.js'

/**
 * Whether an observation's `status_breakdown` replaces the rails stored for the customer, and why.
 *
 * - `refresh: true`, `reason`:
 *   - `applied`: the observation changed the state, so it is the newest word on the customer.
 *   - `same_state`: it confirms the current state: as current as the state itself.
 *   - `terminal`: the customer is `approved`, which nothing changes, but Align still reports its rails,
 *     and a rail may be approved (or withdrawn) after KYC is.
 * - `refresh: false`, `reason`:
 *   - `stale`: older than the state held; its breakdown is older too.
 *   - `not_allowed`: it reports a step back (to `not_started`), so it is out of date.
 *   - `unknown_value`: it could not be read, so nothing of it is trusted.
 */
export type RailsRefresh =
  | { refresh: true; reason: 'applied' | Extract<IgnoreReason, 'same_state' | 'terminal'> }
  | { refresh: false; reason: Extract<IgnoreReason, 'stale' | 'not_allowed' | 'unknown_value'> }

/**
 * Decides, from what {@link applyObservation} decided about an observation, whether its rails
 * (`status_breakdown`) are stored. Pure. The rails go with the observation that carries them: they
 * are refreshed exactly when the observation is at least as current as the state kept (see
 * {@link RailsRefresh} for each reason).
 */
export function decideRailsRefresh(decision: ApplyDecision): RailsRefresh {
  if (decision.outcome === 'applied') return { refresh: true, reason: 'applied' }
  switch (decision.reason) {
    case 'same_state':
    case 'terminal':
      return { refresh: true, reason: decision.reason }
    case 'stale':
    case 'not_allowed':
    case 'unknown_value':
      return { refresh: false, reason: decision.reason }
  }
}
