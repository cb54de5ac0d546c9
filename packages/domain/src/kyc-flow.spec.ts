import {
  applyObservation,
  canTransition,
  initialKycState,
  type KycObservation,
  type KycState,
  KYC_TRANSITIONS,
  replayObservations,
} from './kyc-flow.js'
import { DomainError } from './errors.js'
import { KYC_STATUSES, type KycStatus, type KycSubStatus } from './kyc-status.js'

const at = (minute: number): Date => new Date(Date.UTC(2025, 0, 1, 12, minute))
const state = (status: KycStatus, subStatus: KycSubStatus | null, minute: number | null): KycState => ({
  status,
  subStatus,
  observedAt: minute === null ? null : at(minute),
})
const obs = (
  status: string,
  subStatus: string | null,
  minute: number,
  source: KycObservation['source'] = 'webhook',
) => ({
  status,
  subStatus,
  observedAt: at(minute),
  source,
})

describe('KYC_TRANSITIONS / canTransition', () => {
  // Rows are `from`, columns are `to`, in KYC_STATUSES order: not_started, pending, approved, rejected.
  const table: Record<KycStatus, [boolean, boolean, boolean, boolean]> = {
    not_started: [false, true, true, true],
    pending: [false, false, true, true],
    approved: [false, false, false, false],
    rejected: [false, true, true, false],
  }
  const pairs = KYC_STATUSES.flatMap((from) =>
    KYC_STATUSES.map((to, column) => [from, to, table[from][column]] as const),
  )

  it('covers all 16 pairs', () => expect(pairs).toHaveLength(16))

  it.each(pairs)('%s -> %s allowed: %s', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed)
    expect(KYC_TRANSITIONS[from].includes(to)).toBe(allowed)
  })

  it('contains the contract edges and lets a fresh customer be approved directly', () => {
    for (const [from, to] of [
      ['not_started', 'pending'],
      ['pending', 'approved'],
      ['pending', 'rejected'],
      ['rejected', 'pending'],
      ['not_started', 'approved'],
    ] as const) {
      expect(canTransition(from, to)).toBe(true)
    }
  })

  it('is frozen', () => {
    expect(Object.isFrozen(KYC_TRANSITIONS)).toBe(true)
    for (const status of KYC_STATUSES) expect(Object.isFrozen(KYC_TRANSITIONS[status])).toBe(true)
  })
})

describe('initialKycState', () => {
  it('is not_started with nothing observed, and a fresh object each time', () => {
    expect(initialKycState()).toEqual({ status: 'not_started', subStatus: null, observedAt: null })
    expect(initialKycState()).not.toBe(initialKycState())
  })
})

describe('applyObservation over every (from, to) pair', () => {
  // Current state observed at minute 10; the observation is newer (20), as old (10) or older (5).
  type Row = [from: KycStatus, to: KycStatus, newer: string, tie: string, older: string]
  const rows: Row[] = [
    ['not_started', 'not_started', 'same_state', 'same_state', 'same_state'],
    ['not_started', 'pending', 'applied', 'applied', 'applied'],
    ['not_started', 'approved', 'applied', 'applied', 'applied'],
    ['not_started', 'rejected', 'applied', 'applied', 'applied'],
    ['pending', 'not_started', 'not_allowed', 'not_allowed', 'not_allowed'],
    ['pending', 'pending', 'same_state', 'same_state', 'same_state'],
    ['pending', 'approved', 'applied', 'applied', 'applied'],
    ['pending', 'rejected', 'applied', 'applied', 'stale'],
    ['approved', 'not_started', 'terminal', 'terminal', 'terminal'],
    ['approved', 'pending', 'terminal', 'terminal', 'terminal'],
    ['approved', 'approved', 'same_state', 'same_state', 'same_state'],
    ['approved', 'rejected', 'terminal', 'terminal', 'terminal'],
    ['rejected', 'not_started', 'not_allowed', 'not_allowed', 'not_allowed'],
    ['rejected', 'pending', 'applied', 'stale', 'stale'],
    ['rejected', 'approved', 'applied', 'applied', 'applied'],
    ['rejected', 'rejected', 'same_state', 'same_state', 'same_state'],
  ]
  const cases = rows.flatMap(([from, to, newer, tie, older]) => [
    [from, to, 20, newer] as const,
    [from, to, 10, tie] as const,
    [from, to, 5, older] as const,
  ])

  it.each(cases)('%s -> %s observed at minute %d: %s', (from, to, minute, expected) => {
    const current = state(from, null, 10)
    const decision = applyObservation(current, obs(to, null, minute, 'sync'))
    if (expected === 'applied') {
      expect(decision).toEqual({
        outcome: 'applied',
        state: state(to, null, minute),
        entry: {
          status: to,
          subStatus: null,
          previousStatus: from,
          previousSubStatus: null,
          source: 'sync',
          occurredAt: at(minute),
        },
      })
    } else {
      expect(decision.outcome).toBe('ignored')
      expect(decision.outcome === 'ignored' && decision.reason).toBe(expected)
      const keptTime = expected === 'same_state' && minute > 10 ? minute : 10
      expect(decision.state).toEqual(state(from, null, keptTime))
    }
  })
})

describe('applyObservation branches', () => {
  it('applies anything known to a state with nothing observed yet', () => {
    const decision = applyObservation(initialKycState(), obs('pending', 'kyc_form_submission_started', 0))
    expect(decision.outcome).toBe('applied')
    expect(decision.state).toEqual(state('pending', 'kyc_form_submission_started', 0))
  })

  it('treats a new sub_status within one status as a change', () => {
    const decision = applyObservation(
      state('pending', 'kyc_form_submission_started', 10),
      obs('pending', 'kyc_form_submission_accepted', 11, 'session'),
    )
    expect(decision).toEqual({
      outcome: 'applied',
      state: state('pending', 'kyc_form_submission_accepted', 11),
      entry: {
        status: 'pending',
        subStatus: 'kyc_form_submission_accepted',
        previousStatus: 'pending',
        previousSubStatus: 'kyc_form_submission_started',
        source: 'session',
        occurredAt: at(11),
      },
    })
  })

  it('treats a sub_status going back to null as a change', () => {
    const decision = applyObservation(
      state('pending', 'kyc_form_submission_started', 10),
      obs('pending', null, 11),
    )
    expect(decision.outcome).toBe('applied')
    expect(decision.state).toEqual(state('pending', null, 11))
  })

  it('ignores an unknown status, quoting it, and keeps the state', () => {
    const current = state('pending', null, 10)
    expect(applyObservation(current, obs('manual_review', null, 20))).toEqual({
      outcome: 'ignored',
      reason: 'unknown_value',
      state: current,
      detail: 'unknown status "manual_review" from webhook; state kept',
    })
  })

  it('ignores an unknown sub_status even with a known status, so it cannot approve', () => {
    const current = state('pending', null, 10)
    const decision = applyObservation(current, obs('approved', 'video_call_done', 20, 'sync'))
    expect(decision).toEqual({
      outcome: 'ignored',
      reason: 'unknown_value',
      state: current,
      detail: 'unknown subStatus "video_call_done" from sync; state kept',
    })
  })

  it('names both unknown values', () => {
    const decision = applyObservation(initialKycState(), obs('frozen', 'video', 1))
    expect(decision.outcome === 'ignored' && decision.detail).toBe(
      'unknown status "frozen" and subStatus "video" from webhook; state kept',
    )
  })

  it('same_state: advances observedAt when newer, keeps it when older or equal, adds no history', () => {
    const current = state('pending', 'kyc_form_submission_accepted', 10)
    const newer = applyObservation(current, obs('pending', 'kyc_form_submission_accepted', 12))
    expect(newer).toEqual({
      outcome: 'ignored',
      reason: 'same_state',
      state: state('pending', 'kyc_form_submission_accepted', 12),
      detail: 'already pending/kyc_form_submission_accepted',
    })
    expect(current.observedAt).toEqual(at(10))
    expect(applyObservation(current, obs('pending', 'kyc_form_submission_accepted', 8)).state).toBe(current)
    expect(applyObservation(current, obs('pending', 'kyc_form_submission_accepted', 10)).state).toBe(current)
  })

  it('same_state on a state with nothing observed sets observedAt', () => {
    const decision = applyObservation(initialKycState(), obs('not_started', null, 3))
    expect(decision).toEqual({
      outcome: 'ignored',
      reason: 'same_state',
      state: state('not_started', null, 3),
      detail: 'already not_started',
    })
  })

  it('treats any time, even before 1970, as newer than nothing observed', () => {
    const before1970 = new Date(-60_000)
    const same = applyObservation(initialKycState(), {
      ...obs('not_started', null, 0),
      observedAt: before1970,
    })
    expect(same.state).toEqual({ status: 'not_started', subStatus: null, observedAt: before1970 })
    const changed = applyObservation(initialKycState(), {
      ...obs('not_started', 'kyc_form_submission_started', 0),
      observedAt: before1970,
    })
    expect(changed.outcome).toBe('applied')
    expect(changed.state.observedAt).toBe(before1970)
  })

  it('terminal: approved keeps its sub_status and time against another approved sub_status', () => {
    const current = state('approved', null, 10)
    expect(
      applyObservation(current, obs('approved', 'kyc_form_submission_accepted', 30, 'simulation')),
    ).toEqual({
      outcome: 'ignored',
      reason: 'terminal',
      state: current,
      detail: 'approved is terminal; approved/kyc_form_submission_accepted from simulation not applied',
    })
  })

  it('terminal: a later rejection does not undo an approval', () => {
    const current = state('approved', null, 10)
    const decision = applyObservation(current, obs('rejected', 'kyc_form_resubmission_required', 30))
    expect(decision).toEqual({
      outcome: 'ignored',
      reason: 'terminal',
      state: current,
      detail: 'approved is terminal; rejected/kyc_form_resubmission_required from webhook not applied',
    })
  })

  it('not_allowed: nothing goes back to not_started', () => {
    const current = state('rejected', null, 10)
    expect(applyObservation(current, obs('not_started', 'kyc_form_submission_started', 30))).toEqual({
      outcome: 'ignored',
      reason: 'not_allowed',
      state: current,
      detail: 'rejected -> not_started is not an allowed transition',
    })
  })

  it('stale: an older observation in the same stage is not applied', () => {
    const current = state('rejected', 'kyc_form_resubmission_required', 10)
    expect(applyObservation(current, obs('pending', 'kyc_form_submission_accepted', 9))).toEqual({
      outcome: 'ignored',
      reason: 'stale',
      state: current,
      detail:
        'pending/kyc_form_submission_accepted observed at 2025-01-01T12:09:00.000Z is not newer than ' +
        'rejected/kyc_form_resubmission_required observed at 2025-01-01T12:10:00.000Z',
    })
  })

  it('stale within not_started: an older sub_status change is not applied', () => {
    const current = state('not_started', null, 10)
    const decision = applyObservation(current, obs('not_started', 'kyc_form_submission_started', 9))
    expect(decision.outcome === 'ignored' && decision.reason).toBe('stale')
    expect(decision.state).toBe(current)
  })

  it('a later stage is never stale: an old approval beats a newer pending', () => {
    const decision = applyObservation(state('pending', null, 50), obs('approved', null, 5, 'webhook'))
    expect(decision.outcome).toBe('applied')
    expect(decision.state).toEqual(state('approved', null, 5))
  })

  it.each([
    // same timestamp, same stage: the fixed tie-break decides, in either direction
    [
      state('pending', 'kyc_form_submission_started', 10),
      'pending',
      'kyc_form_submission_accepted',
      'applied',
    ],
    [state('pending', 'kyc_form_submission_accepted', 10), 'pending', 'kyc_form_submission_started', 'stale'],
    [state('pending', null, 10), 'pending', 'kyc_form_submission_started', 'applied'],
    [state('pending', 'kyc_form_submission_started', 10), 'pending', null, 'stale'],
    [
      state('rejected', 'kyc_form_submission_accepted', 10),
      'rejected',
      'kyc_form_resubmission_required',
      'applied',
    ],
    [
      state('rejected', 'kyc_form_resubmission_required', 10),
      'rejected',
      'kyc_form_submission_accepted',
      'stale',
    ],
    [state('pending', 'kyc_form_resubmission_required', 10), 'rejected', null, 'applied'],
    [state('rejected', null, 10), 'pending', 'kyc_form_resubmission_required', 'stale'],
    [state('not_started', null, 10), 'not_started', 'kyc_form_submission_started', 'applied'],
    [state('not_started', 'kyc_form_submission_started', 10), 'not_started', null, 'stale'],
  ] as const)('tie at the same time: %j receives %s/%s -> %s', (current, status, subStatus, expected) => {
    const decision = applyObservation(current, obs(status, subStatus, 10))
    expect(decision.outcome === 'applied' ? 'applied' : decision.reason).toBe(expected)
  })

  it('does not mutate its inputs', () => {
    const current = state('pending', null, 10)
    const observation = obs('approved', null, 20)
    const frozen = Object.freeze({ ...current })
    applyObservation(frozen, Object.freeze(observation))
    expect(frozen).toEqual(current)
  })

  it('throws invalid_date for an invalid observation or state time', () => {
    const bad = { ...obs('pending', null, 1), observedAt: new Date(Number.NaN) }
    expect(() => applyObservation(initialKycState(), bad)).toThrow(DomainError)
    expect(() => applyObservation(initialKycState(), bad)).toThrow(
      'observation.observedAt must be a valid Date',
    )
    const badState = { ...state('pending', null, 1), observedAt: new Date(Number.NaN) }
    expect(() => applyObservation(badState, obs('approved', null, 2))).toThrow(
      'current.observedAt must be a valid Date',
    )
  })
})

describe('replayObservations', () => {
  it('folds in arrival order and returns every decision and the applied history', () => {
    const replay = replayObservations([
      obs('pending', 'kyc_form_submission_started', 1, 'session'),
      obs('pending', 'kyc_form_submission_started', 2, 'sync'),
      obs('rejected', 'kyc_form_resubmission_required', 3),
      obs('pending', 'kyc_form_submission_accepted', 2),
      obs('approved', null, 4, 'simulation'),
    ])
    expect(replay.decisions.map((d) => (d.outcome === 'applied' ? 'applied' : d.reason))).toEqual([
      'applied',
      'same_state',
      'applied',
      'stale',
      'applied',
    ])
    expect(replay.history.map((e) => [e.previousStatus, e.status, e.source])).toEqual([
      ['not_started', 'pending', 'session'],
      ['pending', 'rejected', 'webhook'],
      ['rejected', 'approved', 'simulation'],
    ])
    expect(replay.state).toEqual(state('approved', null, 4))
  })

  it('starts from the given state, or the initial one', () => {
    expect(replayObservations([])).toEqual({ state: initialKycState(), history: [], decisions: [] })
    const from = state('approved', null, 1)
    expect(replayObservations([obs('pending', null, 2)], from).state).toBe(from)
  })

  it('sandbox simulate-approve on a brand-new customer ends approved', () => {
    const replay = replayObservations([obs('approved', null, 1, 'simulation')])
    expect(replay.state.status).toBe('approved')
    expect(replay.history).toHaveLength(1)
  })

  it('keeps the first approved sub_status when Align reports two (documented limit of order-independence)', () => {
    const a = obs('approved', null, 1)
    const b = obs('approved', 'kyc_form_submission_accepted', 2)
    expect(replayObservations([a, b]).state).toEqual(state('approved', null, 1))
    expect(replayObservations([b, a]).state).toEqual(state('approved', 'kyc_form_submission_accepted', 2))
  })
})
