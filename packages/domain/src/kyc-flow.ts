import { assertValidDate } from './errors.js'
import { type KycStatus, type KycSubStatus, readKycValues } from './kyc-status.js'

/**
 * Where an observation of Align's KYC status came from. Recorded on history entries; it does not
 * change how an observation is judged (only its values and its own time do).
 *
 * - `webhook`: a `customer.kycs.updated` delivery; its time is the delivery's `created_at`.
 * - `sync`: an explicit fetch of the customer from Align; its time is when Align answered.
 * - `simulation`: a sandbox simulate call (e.g. `kyc.status.approve`); its time is when Align answered.
 * - `session`: the status Align returned while creating a KYC session; its time is when Align answered.
 */
export type ObservationSource = 'webhook' | 'sync' | 'simulation' | 'session'

/**
 * The current KYC state of one customer.
 *
 * `observedAt` is the own time of the last applied observation, or of a later observation that
 * confirmed the same `(status, subStatus)` (see `same_state` in {@link applyObservation}); `null`
 * until any observation has been applied.
 */
export type KycState = { status: KycStatus; subStatus: KycSubStatus | null; observedAt: Date | null }

/** The state of a customer nothing has been observed for yet: `not_started`, no sub_status, no time. */
export function initialKycState(): KycState {
  return { status: 'not_started', subStatus: null, observedAt: null }
}

/**
 * One reading of Align's KYC status, with values exactly as Align sent them (they may be unknown
 * strings; `subStatus` may be `null`) and the observation's own time (not when we processed it).
 */
export type KycObservation = {
  status: string
  subStatus: string | null
  observedAt: Date
  source: ObservationSource
}

/**
 * One applied change of `(status, subStatus)`, to append to the customer's history. `occurredAt` is the
 * observation's own time. Consecutive entries never hold the same `(status, subStatus)`.
 */
export type KycHistoryEntry = {
  status: KycStatus
  subStatus: KycSubStatus | null
  previousStatus: KycStatus
  previousSubStatus: KycSubStatus | null
  source: ObservationSource
  occurredAt: Date
}

/**
 * Why an observation was not applied.
 *
 * - `same_state`: it reports the `(status, subStatus)` the customer already has. Adds no history; the
 *   returned state's `observedAt` moves forward if the observation is newer.
 * - `stale`: within the same stage of the flow, it is older than the last applied observation (or
 *   exactly as old and loses the fixed tie-break, see {@link applyObservation}).
 * - `terminal`: the customer is `approved`, which nothing changes.
 * - `not_allowed`: the move is not in {@link KYC_TRANSITIONS} (a step back to `not_started`).
 * - `unknown_value`: the status or a non-null sub_status is a value this version does not know; the
 *   raw value is quoted in `detail` so the caller can log it. Never grants anything.
 */
export type IgnoreReason = 'same_state' | 'stale' | 'terminal' | 'not_allowed' | 'unknown_value'

/**
 * What {@link applyObservation} decided.
 *
 * - `applied`: `state` is the new state (its `observedAt` is the observation's time) and `entry` the
 *   history entry to append.
 * - `ignored`: nothing to append; `state` is the state to keep (equal to the current one, except that
 *   `same_state` may carry a newer `observedAt`), `detail` a human-readable explanation for logs.
 */
export type ApplyDecision =
  | { outcome: 'applied'; state: KycState; entry: KycHistoryEntry }
  | { outcome: 'ignored'; reason: IgnoreReason; state: KycState; detail: string }

/**
 * The allowed changes of status (`from -> to`, `from !== to`).
 *
 * The contract's edges are `not_started -> pending -> approved`, `pending -> rejected` and
 * `rejected -> pending` (resubmission). Align is the source of truth and only ever moves a customer
 * forward, so a forward jump that skips a state we never saw is allowed too:
 * `not_started -> approved` (e.g. sandbox "simulate approve" on a fresh customer),
 * `not_started -> rejected` and `rejected -> approved`.
 *
 * | from \ to   | not_started | pending | approved | rejected |
 * |-------------|-------------|---------|----------|----------|
 * | not_started | -           | yes     | yes      | yes      |
 * | pending     | no          | -       | yes      | yes      |
 * | approved    | no          | no      | -        | no       |
 * | rejected    | no          | yes     | yes      | -        |
 *
 * Nothing goes back to `not_started`; `approved` is terminal. A change of sub_status within one
 * status is a change too (not an edge of this table): allowed for every status except `approved`.
 */
export const KYC_TRANSITIONS: Readonly<Record<KycStatus, readonly KycStatus[]>> = Object.freeze({
  not_started: Object.freeze(['pending', 'approved', 'rejected'] as const),
  pending: Object.freeze(['approved', 'rejected'] as const),
  approved: Object.freeze([] as const),
  rejected: Object.freeze(['pending', 'approved'] as const),
})

/** True when `from -> to` is an edge of {@link KYC_TRANSITIONS}. `canTransition(s, s)` is false. */
export function canTransition(from: KycStatus, to: KycStatus): boolean {
  return KYC_TRANSITIONS[from].includes(to)
}

/**
 * Stages of the flow. Moving to a later stage is progress Align never undoes, so an observation from a
 * later stage is applied whatever its timestamp; timestamps only order observations within a stage.
 */
const STAGE: Readonly<Record<KycStatus, number>> = { not_started: 0, pending: 1, rejected: 1, approved: 2 }

// Fixed tie-break for two different observations with the same timestamp in the same stage, so the
// result never depends on arrival order. Arbitrary but total; it favours the later step of the form.
const STATUS_TIE_RANK: Readonly<Record<KycStatus, number>> = {
  not_started: 0,
  pending: 1,
  rejected: 2,
  approved: 3,
}
const SUB_STATUS_TIE_RANK: Readonly<Record<KycSubStatus, number>> = {
  kyc_form_submission_started: 1,
  kyc_form_submission_accepted: 2,
  kyc_form_resubmission_required: 3,
}

function tieRank(status: KycStatus, subStatus: KycSubStatus | null): number {
  return STATUS_TIE_RANK[status] * 10 + (subStatus === null ? 0 : SUB_STATUS_TIE_RANK[subStatus])
}

function describe(status: string, subStatus: string | null): string {
  return subStatus === null ? status : `${status}/${subStatus}`
}

/**
 * Applies one observation to the current state and says what happened. Pure: never throws for Align's
 * data (only for an invalid `Date`, `DomainError('invalid_date')`), never mutates its inputs.
 *
 * Rules, checked in this order:
 * 1. Unknown status, or unknown non-null sub_status: ignored `unknown_value`.
 * 2. Same `(status, subStatus)` as now: ignored `same_state`; the returned state's `observedAt` becomes
 *    the observation's time if that is newer (or none was set), so a confirmation keeps it fresh.
 * 3. Current status `approved`: ignored `terminal`.
 * 4. A status change that is not an edge of {@link KYC_TRANSITIONS}: ignored `not_allowed`.
 * 5. Within one stage (`not_started`; `pending`/`rejected`), an observation older than
 *    `current.observedAt` is ignored `stale`. With exactly the same time, a fixed order of values
 *    breaks the tie (`not_started < pending < rejected < approved`, then sub_status
 *    `null < started < accepted < resubmission_required`); the loser is `stale`.
 *    A move to a later stage (`not_started` -> `pending`/`rejected` -> `approved`) is never stale:
 *    Align never undoes it, so the observation proves the customer got there, and a newer observation
 *    of an earlier stage was necessarily out of date. This refines the contract's "older observations
 *    are not applied", which therefore holds within a stage.
 * 6. Otherwise: applied, with the history entry to append.
 *
 * These rules make the state the maximum of the observations under (stage, time, tie-break) with
 * `approved` absorbing, so applying an observation twice equals once, and any arrival order ends in
 * the same state as time order, provided Align never reports two different sub_statuses for
 * `approved` (once approved, the first approved `(status, subStatus)` seen is kept).
 */
export function applyObservation(current: KycState, observation: KycObservation): ApplyDecision {
  assertValidDate(observation.observedAt, 'observation.observedAt')
  if (current.observedAt !== null) assertValidDate(current.observedAt, 'current.observedAt')

  const reading = readKycValues(observation.status, observation.subStatus)
  if (!reading.known) {
    const values = reading.unknown.map((u) => `${u.field} "${u.value}"`).join(' and ')
    return ignore('unknown_value', current, `unknown ${values} from ${observation.source}; state kept`)
  }
  const { status, subStatus } = reading
  const seen = describe(status, subStatus)
  const time = observation.observedAt.getTime()
  // Nothing observed yet sorts before every real time, so the first observation is always newer.
  const currentTime = current.observedAt?.getTime() ?? Number.NEGATIVE_INFINITY

  if (status === current.status && subStatus === current.subStatus) {
    const state = time > currentTime ? { ...current, observedAt: observation.observedAt } : current
    return ignore('same_state', state, `already ${seen}`)
  }
  const held = describe(current.status, current.subStatus)
  if (current.status === 'approved') {
    return ignore('terminal', current, `approved is terminal; ${seen} from ${observation.source} not applied`)
  }
  if (status !== current.status && !canTransition(current.status, status)) {
    return ignore('not_allowed', current, `${current.status} -> ${status} is not an allowed transition`)
  }
  // Equal tie ranks mean equal values, already answered as same_state: the `>=` mutant is equivalent.
  const winsTie = tieRank(status, subStatus) > tieRank(current.status, current.subStatus)
  const newer = time > currentTime || (time === currentTime && winsTie)
  if (STAGE[status] === STAGE[current.status] && !newer) {
    const when = observation.observedAt.toISOString()
    const last = (current.observedAt as Date).toISOString()
    return ignore(
      'stale',
      current,
      `${seen} observed at ${when} is not newer than ${held} observed at ${last}`,
    )
  }

  return {
    outcome: 'applied',
    state: { status, subStatus, observedAt: observation.observedAt },
    entry: {
      status,
      subStatus,
      previousStatus: current.status,
      previousSubStatus: current.subStatus,
      source: observation.source,
      occurredAt: observation.observedAt,
    },
  }
}

function ignore(reason: IgnoreReason, state: KycState, detail: string): ApplyDecision {
  return { outcome: 'ignored', reason, state, detail }
}

/** The outcome of {@link replayObservations}. */
export type KycReplay = {
  /** The state after every observation. */
  state: KycState
  /** The entries appended, in application order. */
  history: KycHistoryEntry[]
  /** One decision per observation, in the order given. */
  decisions: ApplyDecision[]
}

/**
 * Applies observations one after another, in the order given (arrival order), starting from `from`
 * (default {@link initialKycState}). Convenience for replays, tests and back-fills.
 */
export function replayObservations(
  observations: readonly KycObservation[],
  from: KycState = initialKycState(),
): KycReplay {
  let state = from
  const history: KycHistoryEntry[] = []
  const decisions: ApplyDecision[] = []
  for (const observation of observations) {
    const decision = applyObservation(state, observation)
    decisions.push(decision)
    state = decision.state
    if (decision.outcome === 'applied') history.push(decision.entry)
  }
  return { state, history, decisions }
}
