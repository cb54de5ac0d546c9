import fc from 'fast-check'
import {
  applyObservation,
  initialKycState,
  type KycObservation,
  type KycState,
  replayObservations,
} from './kyc-flow.js'
import { KYC_STATUSES, KYC_SUB_STATUSES, type KycSubStatus } from './kyc-status.js'

const RUNS = { numRuns: 500 }
const sources = ['webhook', 'sync', 'simulation', 'session'] as const

// A narrow time range on purpose: it produces many equal timestamps, so tie-breaking is exercised.
const time = fc.integer({ min: 0, max: 12 }).map((minute) => new Date(Date.UTC(2025, 0, 1, 0, minute)))
const statusValue = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...KYC_STATUSES) },
  { weight: 1, arbitrary: fc.constantFrom('manual_review', 'APPROVED', '') },
)
const subStatusValue = fc.oneof(
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 6, arbitrary: fc.constantFrom<string>(...KYC_SUB_STATUSES) },
  { weight: 1, arbitrary: fc.constantFrom('video_call', 'kyc_form_submission_STARTED') },
)
const observation: fc.Arbitrary<KycObservation> = fc.record({
  status: statusValue,
  subStatus: subStatusValue,
  observedAt: time,
  source: fc.constantFrom(...sources),
})

/**
 * Observations under the one precondition order-independence needs: Align never reports two
 * different sub_statuses for `approved` (approval is terminal at Align too). Everything else is
 * arbitrary: unknown values, steps back to not_started, contradictory sequences, equal timestamps.
 */
const consistentObservations = fc
  .tuple(
    fc.array(observation, { maxLength: 14 }),
    fc.constantFrom<KycSubStatus | null>(null, ...KYC_SUB_STATUSES),
  )
  .map(([list, approvedSub]) =>
    list.map((o) =>
      o.status === 'approved' &&
      (o.subStatus === null || KYC_SUB_STATUSES.includes(o.subStatus as KycSubStatus))
        ? { ...o, subStatus: approvedSub }
        : o,
    ),
  )

const withPermutation = <T>(items: fc.Arbitrary<T[]>) =>
  items.chain((list) =>
    fc.tuple(
      fc.constant(list),
      fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }),
    ),
  )

const byTime = (list: readonly KycObservation[]) =>
  [...list].sort((a, b) => a.observedAt.getTime() - b.observedAt.getTime())

const finalState = (list: readonly KycObservation[]): KycState => replayObservations(list).state

describe('applyObservation properties', () => {
  it('applying the same observation twice equals applying it once', () => {
    fc.assert(
      fc.property(fc.array(observation, { maxLength: 10 }), observation, (prefix, o) => {
        const start = finalState(prefix)
        const once = applyObservation(start, o)
        const twice = applyObservation(once.state, o)
        expect(twice.outcome).toBe('ignored')
        expect(twice.state).toEqual(once.state)
      }),
      RUNS,
    )
  })

  it('any arrival order ends in the same state as time order', () => {
    fc.assert(
      fc.property(withPermutation(consistentObservations), ([list, shuffled]) => {
        expect(finalState(shuffled)).toEqual(finalState(byTime(list)))
      }),
      RUNS,
    )
  })

  it('any arrival order ends in the same status, even when approved sub_statuses conflict', () => {
    fc.assert(
      fc.property(withPermutation(fc.array(observation, { maxLength: 14 })), ([list, shuffled]) => {
        expect(finalState(shuffled).status).toBe(finalState(byTime(list)).status)
      }),
      RUNS,
    )
  })

  it('the state is approved exactly when a known approved observation was seen', () => {
    fc.assert(
      fc.property(fc.array(observation, { maxLength: 14 }), (list) => {
        const approvedSeen = list.some(
          (o) =>
            o.status === 'approved' &&
            (o.subStatus === null || KYC_SUB_STATUSES.includes(o.subStatus as KycSubStatus)),
        )
        expect(finalState(list).status === 'approved').toBe(approvedSeen)
      }),
      RUNS,
    )
  })

  it('once approved, no observation is applied and status and sub_status never change', () => {
    fc.assert(
      fc.property(
        fc.array(observation, { maxLength: 6 }),
        fc.constantFrom<KycSubStatus | null>(null, ...KYC_SUB_STATUSES),
        time,
        fc.array(observation, { maxLength: 14 }),
        (before, approvedSub, approvedAt, after) => {
          const approval: KycObservation = {
            status: 'approved',
            subStatus: approvedSub,
            observedAt: approvedAt,
            source: 'simulation',
          }
          const approved = finalState([...before, approval])
          const replay = replayObservations(after, approved)
          expect(replay.history).toEqual([])
          expect(replay.decisions.every((d) => d.outcome === 'ignored')).toBe(true)
          expect(replay.state.status).toBe('approved')
          expect(replay.state.subStatus).toBe(approved.subStatus)
          // only a confirmation of the same approval may refresh observedAt, never backwards
          expect(replay.state.observedAt!.getTime()).toBeGreaterThanOrEqual(approved.observedAt!.getTime())
        },
      ),
      RUNS,
    )
  })

  it('history never holds two consecutive equal states and chains from the initial state', () => {
    fc.assert(
      fc.property(fc.array(observation, { maxLength: 20 }), (list) => {
        const { history, state } = replayObservations(list)
        let previous: { status: string; subStatus: string | null } = initialKycState()
        for (const entry of history) {
          expect([entry.previousStatus, entry.previousSubStatus]).toEqual([
            previous.status,
            previous.subStatus,
          ])
          expect([entry.status, entry.subStatus]).not.toEqual([entry.previousStatus, entry.previousSubStatus])
          previous = entry
        }
        expect([state.status, state.subStatus]).toEqual([previous.status, previous.subStatus])
      }),
      RUNS,
    )
  })

  it('unknown values never change the state', () => {
    const unknown = fc.record({
      status: fc.oneof(
        fc.string().filter((s) => !(KYC_STATUSES as readonly string[]).includes(s)),
        fc.constantFrom(...KYC_STATUSES),
      ),
      subStatus: fc.string().filter((s) => !(KYC_SUB_STATUSES as readonly string[]).includes(s)),
      observedAt: time,
      source: fc.constantFrom(...sources),
    })
    fc.assert(
      fc.property(fc.array(observation, { maxLength: 10 }), unknown, (prefix, o) => {
        const start = finalState(prefix)
        const decision = applyObservation(start, o)
        expect(decision.outcome === 'ignored' && decision.reason).toBe('unknown_value')
        expect(decision.state).toBe(start)
      }),
      RUNS,
    )
  })
})
