import {
  applyObservation,
  initialKycState,
  type ApplyDecision,
  type IgnoreReason,
  type KycState,
} from './kyc-flow.js'
import { decideRailsRefresh, type RailsRefresh } from './rails-refresh.js'

const at = (minute: number) => new Date(Date.UTC(2025, 5, 1, 12, minute))
const state = (status: KycState['status'], subStatus: KycState['subStatus'], minute: number): KycState => ({
  status,
  subStatus,
  observedAt: at(minute),
})
const observe = (current: KycState, status: string, subStatus: string | null, minute: number) =>
  applyObservation(current, { status, subStatus, observedAt: at(minute), source: 'webhook' })

describe('decideRailsRefresh', () => {
  // Every outcome of applyObservation, produced by applyObservation itself.
  it.each<[string, ApplyDecision, RailsRefresh]>([
    [
      'a change of state',
      observe(initialKycState(), 'pending', 'kyc_form_submission_started', 1),
      { refresh: true, reason: 'applied' },
    ],
    [
      'a confirmation of the state held',
      observe(state('pending', null, 5), 'pending', null, 6),
      { refresh: true, reason: 'same_state' },
    ],
    [
      'an older confirmation of the state held',
      observe(state('pending', null, 5), 'pending', null, 4),
      { refresh: true, reason: 'same_state' },
    ],
    [
      'anything about an approved customer',
      observe(state('approved', 'kyc_form_submission_accepted', 5), 'rejected', null, 6),
      { refresh: true, reason: 'terminal' },
    ],
    [
      'an older observation within the stage',
      observe(state('rejected', null, 5), 'pending', null, 4),
      { refresh: false, reason: 'stale' },
    ],
    [
      'a step back to not_started',
      observe(state('pending', null, 5), 'not_started', null, 6),
      { refresh: false, reason: 'not_allowed' },
    ],
    [
      'an unknown value',
      observe(state('pending', null, 5), 'frozen', null, 6),
      { refresh: false, reason: 'unknown_value' },
    ],
  ])('%s', (_what, decision, expected) => {
    expect(decideRailsRefresh(decision)).toEqual(expected)
  })

  it('answers every ignore reason, with that reason', () => {
    const reasons: IgnoreReason[] = ['same_state', 'stale', 'terminal', 'not_allowed', 'unknown_value']
    for (const reason of reasons) {
      const decision: ApplyDecision = {
        outcome: 'ignored',
        reason,
        state: initialKycState(),
        detail: '',
      }
      expect(decideRailsRefresh(decision).reason).toBe(reason)
    }
  })
})
