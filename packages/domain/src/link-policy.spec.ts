import { DomainError } from './errors.js'
import type { KycState } from './kyc-flow.js'
import type { KycStatus, KycSubStatus } from './kyc-status.js'
import {
  checkLinkPolicy,
  createLinkPolicy,
  decideLinkRenewal,
  DEFAULT_LINK_POLICY,
  LINK_POLICY_DEFAULTS,
  type LinkPolicy,
  type LinkSession,
} from './link-policy.js'

const MINUTE = 60_000
const now = new Date(Date.UTC(2025, 5, 1, 12, 0))
const plus = (ms: number) => new Date(now.getTime() + ms)
const kyc = (status: KycStatus, subStatus: KycSubStatus | null = null): KycState => ({
  status,
  subStatus,
  observedAt: status === 'not_started' ? null : new Date(Date.UTC(2025, 5, 1, 11, 0)),
})
const policy: LinkPolicy = { ttlMs: 60 * MINUTE, renewalMarginMs: 5 * MINUTE }
const renewed = plus(60 * MINUTE)

function codeOf(run: () => unknown): string | undefined {
  try {
    run()
  } catch (error) {
    return error instanceof DomainError ? `${error.code}: ${error.message}` : `other: ${String(error)}`
  }
  return undefined
}

describe('DEFAULT_LINK_POLICY', () => {
  it('is 24h with a 5m margin, frozen', () => {
    expect(DEFAULT_LINK_POLICY).toEqual({ ttlMs: 86_400_000, renewalMarginMs: 300_000 })
    expect(Object.isFrozen(DEFAULT_LINK_POLICY)).toBe(true)
    expect(createLinkPolicy({ ttl: '24h', renewalMargin: '5m' })).toEqual(DEFAULT_LINK_POLICY)
  })

  it('is LINK_POLICY_DEFAULTS (the texts a configuration falls back to), frozen', () => {
    expect(LINK_POLICY_DEFAULTS).toEqual({ ttl: '24h', renewalMargin: '5m' })
    expect(Object.isFrozen(LINK_POLICY_DEFAULTS)).toBe(true)
    expect(createLinkPolicy(LINK_POLICY_DEFAULTS)).toEqual(DEFAULT_LINK_POLICY)
  })
})

describe('checkLinkPolicy', () => {
  it.each([
    [{ ttlMs: 1, renewalMarginMs: 0 }, null],
    [{ ttlMs: 1000, renewalMarginMs: 999 }, null],
    [DEFAULT_LINK_POLICY, null],
    [
      { ttlMs: 0, renewalMarginMs: 0 },
      { reason: 'ttl_not_positive', field: 'ttl', detail: 'ttl must be positive, got 0ms' },
    ],
    [
      { ttlMs: -1, renewalMarginMs: -5 },
      { reason: 'ttl_not_positive', field: 'ttl', detail: 'ttl must be positive, got -1ms' },
    ],
    [
      { ttlMs: 10, renewalMarginMs: -1 },
      {
        reason: 'margin_negative',
        field: 'renewalMargin',
        detail: 'renewalMargin must not be negative, got -1ms',
      },
    ],
    [
      { ttlMs: 10, renewalMarginMs: 10 },
      {
        reason: 'margin_not_shorter_than_ttl',
        field: 'renewalMargin',
        detail: 'renewalMargin (10ms) must be shorter than ttl (10ms)',
      },
    ],
    [
      { ttlMs: 10, renewalMarginMs: 11 },
      {
        reason: 'margin_not_shorter_than_ttl',
        field: 'renewalMargin',
        detail: 'renewalMargin (11ms) must be shorter than ttl (10ms)',
      },
    ],
  ])('%j -> %j', (input, expected) => {
    expect(checkLinkPolicy(input)).toEqual(expected)
  })
})

describe('createLinkPolicy', () => {
  it.each([
    [
      { ttl: '30s', renewalMargin: '5s' },
      { ttlMs: 30_000, renewalMarginMs: 5_000 },
    ],
    [
      { ttl: 1000, renewalMargin: 999 },
      { ttlMs: 1000, renewalMarginMs: 999 },
    ],
    [
      { ttl: '7d', renewalMargin: 0 },
      { ttlMs: 604_800_000, renewalMarginMs: 0 },
    ],
    [
      { ttl: 1, renewalMargin: '0s' },
      { ttlMs: 1, renewalMarginMs: 0 },
    ],
  ])('accepts %j', (input, expected) => {
    expect(createLinkPolicy(input)).toEqual(expected)
  })

  it.each([
    [{ ttl: 0, renewalMargin: 0 }, 'invalid_link_policy: ttl must be positive, got 0ms'],
    [{ ttl: '0s', renewalMargin: 0 }, 'invalid_link_policy: ttl must be positive, got 0ms'],
    [{ ttl: -5, renewalMargin: -10 }, 'invalid_link_policy: ttl must be positive, got -5ms'],
    [{ ttl: 10, renewalMargin: -1 }, 'invalid_link_policy: renewalMargin must not be negative, got -1ms'],
    [
      { ttl: '5m', renewalMargin: '5m' },
      'invalid_link_policy: renewalMargin (300000ms) must be shorter than ttl (300000ms)',
    ],
    [
      { ttl: '5m', renewalMargin: '1h' },
      'invalid_link_policy: renewalMargin (3600000ms) must be shorter than ttl (300000ms)',
    ],
    [
      { ttl: 1.5, renewalMargin: 0 },
      'invalid_link_policy: ttl must be a whole number of milliseconds, got 1.5',
    ],
    [
      { ttl: 100, renewalMargin: Number.NaN },
      'invalid_link_policy: renewalMargin must be a whole number of milliseconds, got NaN',
    ],
    [
      { ttl: Number.POSITIVE_INFINITY, renewalMargin: 0 },
      'invalid_link_policy: ttl must be a whole number of milliseconds, got Infinity',
    ],
    [
      { ttl: 'a day', renewalMargin: '5m' },
      'invalid_duration: Invalid duration "a day": expected a whole number followed by ms, s, m, h or d (e.g. 500ms, 30s, 15m, 24h, 7d)',
    ],
  ])('rejects %j', (input, expected) => {
    expect(codeOf(() => createLinkPolicy(input))).toBe(expected)
  })
})

describe('decideLinkRenewal', () => {
  const session = (expiresInMs: number, issuedDuring?: LinkSession['issuedDuring']): LinkSession =>
    issuedDuring === undefined
      ? { expiresAt: plus(expiresInMs) }
      : { expiresAt: plus(expiresInMs), issuedDuring }

  it.each([
    [
      'refuses an approved customer',
      kyc('approved'),
      session(30 * MINUTE),
      false,
      { action: 'refuse', reason: 'kyc_already_approved' },
    ],
    [
      'refuses an approved customer even when forced',
      kyc('approved'),
      null,
      true,
      { action: 'refuse', reason: 'kyc_already_approved' },
    ],
    [
      'renews when forced, even with a live link',
      kyc('pending'),
      session(30 * MINUTE),
      true,
      { action: 'renew', reason: 'forced', expiresAt: renewed },
    ],
    [
      'renews when there is no link yet',
      kyc('not_started'),
      null,
      false,
      { action: 'renew', reason: 'none_yet', expiresAt: renewed },
    ],
    [
      'renews an expired link',
      kyc('pending'),
      session(-MINUTE),
      false,
      { action: 'renew', reason: 'expired', expiresAt: renewed },
    ],
    [
      'renews a link expiring right now',
      kyc('pending'),
      session(0),
      false,
      { action: 'renew', reason: 'expired', expiresAt: renewed },
    ],
    [
      'renews a link 1ms from expiry',
      kyc('pending'),
      session(1),
      false,
      { action: 'renew', reason: 'expiring', expiresAt: renewed },
    ],
    [
      'renews a link exactly at the margin',
      kyc('pending'),
      session(5 * MINUTE),
      false,
      { action: 'renew', reason: 'expiring', expiresAt: renewed },
    ],
    [
      'reuses a link just outside the margin',
      kyc('pending'),
      session(5 * MINUTE + 1),
      false,
      { action: 'reuse', expiresAt: plus(5 * MINUTE + 1) },
    ],
    [
      'reuses a live link for a not-started customer',
      kyc('not_started'),
      session(59 * MINUTE),
      false,
      { action: 'reuse', expiresAt: plus(59 * MINUTE) },
    ],
    [
      'reuses a live link for a plain rejection',
      kyc('rejected'),
      session(30 * MINUTE, { status: 'pending', subStatus: null }),
      false,
      { action: 'reuse', expiresAt: plus(30 * MINUTE) },
    ],
    [
      'renews a link obtained before a rejection asking for resubmission',
      kyc('rejected', 'kyc_form_resubmission_required'),
      session(30 * MINUTE, { status: 'pending', subStatus: 'kyc_form_submission_accepted' }),
      false,
      { action: 'renew', reason: 'resubmission_required', expiresAt: renewed },
    ],
    [
      'renews for resubmission when the link was issued in a plain rejection',
      kyc('rejected', 'kyc_form_resubmission_required'),
      session(30 * MINUTE, { status: 'rejected', subStatus: null }),
      false,
      { action: 'renew', reason: 'resubmission_required', expiresAt: renewed },
    ],
    [
      'renews for resubmission when the link was issued with another sub_status of a pending state',
      kyc('rejected', 'kyc_form_resubmission_required'),
      session(30 * MINUTE, { status: 'pending', subStatus: 'kyc_form_resubmission_required' }),
      false,
      { action: 'renew', reason: 'resubmission_required', expiresAt: renewed },
    ],
    [
      'reuses a link obtained for the resubmission',
      kyc('rejected', 'kyc_form_resubmission_required'),
      session(30 * MINUTE, { status: 'rejected', subStatus: 'kyc_form_resubmission_required' }),
      false,
      { action: 'reuse', expiresAt: plus(30 * MINUTE) },
    ],
    [
      'reuses when it cannot tell when the link was issued',
      kyc('rejected', 'kyc_form_resubmission_required'),
      session(30 * MINUTE),
      false,
      { action: 'reuse', expiresAt: plus(30 * MINUTE) },
    ],
    [
      'reports expiry before resubmission',
      kyc('rejected', 'kyc_form_resubmission_required'),
      session(-1, { status: 'pending', subStatus: null }),
      false,
      { action: 'renew', reason: 'expired', expiresAt: renewed },
    ],
    [
      'reports resubmission before the margin',
      kyc('rejected', 'kyc_form_resubmission_required'),
      session(MINUTE, { status: 'pending', subStatus: null }),
      false,
      { action: 'renew', reason: 'resubmission_required', expiresAt: renewed },
    ],
  ] as const)('%s', (_name, state, current, forceRenew, expected) => {
    expect(decideLinkRenewal({ session: current, kyc: state, forceRenew, policy, now })).toEqual(expected)
  })

  it('reuses the very same expiry it was given', () => {
    const current = session(30 * MINUTE)
    const decision = decideLinkRenewal({
      session: current,
      kyc: kyc('pending'),
      forceRenew: false,
      policy,
      now,
    })
    expect(decision.action === 'reuse' && decision.expiresAt).toBe(current.expiresAt)
  })

  it('does not mutate now', () => {
    const clock = new Date(now)
    decideLinkRenewal({ session: null, kyc: kyc('pending'), forceRenew: false, policy, now: clock })
    expect(clock).toEqual(now)
  })

  it('throws invalid_date for an invalid now or session expiry', () => {
    const base = { kyc: kyc('pending'), forceRenew: false, policy }
    expect(codeOf(() => decideLinkRenewal({ ...base, session: null, now: new Date(Number.NaN) }))).toBe(
      'invalid_date: now must be a valid Date, got Invalid Date',
    )
    expect(codeOf(() => decideLinkRenewal({ ...base, session: { expiresAt: new Date('x') }, now }))).toBe(
      'invalid_date: session.expiresAt must be a valid Date, got Invalid Date',
    )
  })
})
