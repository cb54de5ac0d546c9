import {
  canUseRail,
  evaluateCapabilities,
  kycBlockReason,
  RAIL_APPROVED_STATUS,
  type RailStatus,
} from './capabilities.js'
import type { KycState } from './kyc-flow.js'
import type { KycStatus, KycSubStatus } from './kyc-status.js'

const kyc = (status: KycStatus, subStatus: KycSubStatus | null = null): KycState => ({
  status,
  subStatus,
  observedAt: new Date(0),
})
const rails: RailStatus[] = [
  { currency: 'usd', paymentRail: 'ach', status: 'approved' },
  { currency: 'usd', paymentRail: 'wire', status: 'pending' },
  { currency: 'eur', paymentRail: 'sepa', status: 'approved' },
  { currency: 'eur', paymentRail: 'sepa', status: 'suspended_by_align' },
  { currency: 'gbp', paymentRail: 'fps', status: 'Approved' },
]

describe('kycBlockReason', () => {
  it.each([
    [kyc('approved'), null],
    [kyc('approved', 'kyc_form_submission_accepted'), null],
    [kyc('not_started'), 'KYC not started: the customer must complete KYC first'],
    [kyc('pending', 'kyc_form_submission_accepted'), 'KYC pending: the submission is still under review'],
    [kyc('rejected'), 'KYC rejected'],
    [
      kyc('rejected', 'kyc_form_resubmission_required'),
      'KYC rejected: the customer must resubmit the KYC form',
    ],
  ])('%j -> %p', (state, reason) => {
    expect(kycBlockReason(state)).toBe(reason)
  })
})

describe('evaluateCapabilities', () => {
  it('grants virtual accounts and transfers when approved, with a copy of the rails', () => {
    const result = evaluateCapabilities({ kyc: kyc('approved'), rails })
    expect(result).toEqual({
      virtualAccounts: true,
      transfers: true,
      reason: null,
      rails,
      virtualAccountCurrencies: ['usd'],
    })
    expect(result.rails).not.toBe(rails)
    expect(result.rails[0]).not.toBe(rails[0])
  })

  it.each(['not_started', 'pending', 'rejected'] as const)(
    'grants nothing when %s, even with approved rails',
    (status) => {
      const result = evaluateCapabilities({ kyc: kyc(status), rails })
      expect(result.virtualAccounts).toBe(false)
      expect(result.transfers).toBe(false)
      expect(result.reason).toBe(kycBlockReason(kyc(status)))
      expect(result.reason).not.toBeNull()
      expect(result.rails).toEqual(rails)
    },
  )

  it('works with no rails', () => {
    expect(evaluateCapabilities({ kyc: kyc('approved'), rails: [] })).toEqual({
      virtualAccounts: true,
      transfers: true,
      reason: null,
      rails: [],
      virtualAccountCurrencies: ['usd', 'eur', 'aed'],
    })
  })
})

describe('canUseRail', () => {
  it('only approved grants, exactly', () => expect(RAIL_APPROVED_STATUS).toBe('approved'))

  it.each([
    ['usd', 'ach', true, null],
    ['USD', 'ACH', true, null],
    ['gbp', 'fps', true, null],
    ['usd', 'wire', false, 'wire for usd is pending, not approved'],
    ['eur', 'sepa', false, 'sepa for eur is suspended_by_align, not approved'],
    ['usd', 'sepa', false, 'Align reports no status for sepa for usd'],
    ['jpy', 'zengin', false, 'Align reports no status for zengin for jpy'],
  ])('approved customer, %s on %s -> %p', (currency, paymentRail, allowed, reason) => {
    expect(canUseRail({ kyc: kyc('approved'), rails, currency, paymentRail })).toEqual({ allowed, reason })
  })

  it('does not mix currencies and rails across entries', () => {
    const crossed: RailStatus[] = [
      { currency: 'usd', paymentRail: 'wire', status: 'approved' },
      { currency: 'eur', paymentRail: 'ach', status: 'approved' },
    ]
    expect(
      canUseRail({ kyc: kyc('approved'), rails: crossed, currency: 'usd', paymentRail: 'ach' }).allowed,
    ).toBe(false)
  })

  it.each(['not_started', 'pending', 'rejected'] as const)('refuses every rail while KYC is %s', (status) => {
    expect(canUseRail({ kyc: kyc(status), rails, currency: 'usd', paymentRail: 'ach' })).toEqual({
      allowed: false,
      reason: kycBlockReason(kyc(status)),
    })
  })
})
