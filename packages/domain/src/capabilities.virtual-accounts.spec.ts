import {
  decideVirtualAccount,
  evaluateCapabilities,
  kycBlockReason,
  type RailStatus,
  VIRTUAL_ACCOUNT_CURRENCIES,
  VIRTUAL_ACCOUNT_RAIL_RULES,
  type VirtualAccountCurrency,
  type VirtualAccountSourceRails,
} from './capabilities.js'
import type { KycState } from './kyc-flow.js'
import type { KycStatus, KycSubStatus } from './kyc-status.js'

const kyc = (status: KycStatus, subStatus: KycSubStatus | null = null): KycState => ({
  status,
  subStatus,
  observedAt: new Date(0),
})
const approved = kyc('approved', 'kyc_form_submission_accepted')
const rail = (currency: string, paymentRail: string, status = 'approved'): RailStatus => ({
  currency,
  paymentRail,
  status,
})

type Variant = {
  currency: VirtualAccountCurrency
  sourceRails: VirtualAccountSourceRails | null
  required: string[]
  /** How the reason names the variant. */
  label: string
  /** A currency whose rails say nothing about this variant. */
  other: string
}
const VARIANTS: Variant[] = [
  { currency: 'usd', sourceRails: null, required: ['ach', 'wire'], label: 'usd', other: 'eur' },
  {
    currency: 'usd',
    sourceRails: 'swift',
    required: ['swift'],
    label: 'usd (sourceRails swift)',
    other: 'eur',
  },
  { currency: 'eur', sourceRails: null, required: ['sepa'], label: 'eur', other: 'usd' },
  { currency: 'aed', sourceRails: null, required: ['uaefts'], label: 'aed', other: 'usd' },
]

const need = (v: Variant) => `${v.label} virtual accounts need an approved ${v.required.join(' or ')} rail: `

describe('the rail table', () => {
  it('lists the three currencies in order, frozen', () => {
    expect(VIRTUAL_ACCOUNT_CURRENCIES).toEqual(['usd', 'eur', 'aed'])
    expect(Object.isFrozen(VIRTUAL_ACCOUNT_CURRENCIES)).toBe(true)
  })

  it('holds exactly the four variants of the contract, frozen to the leaves', () => {
    expect(VIRTUAL_ACCOUNT_RAIL_RULES).toEqual([
      { currency: 'usd', sourceRails: null, anyOf: ['ach', 'wire'] },
      { currency: 'usd', sourceRails: 'swift', anyOf: ['swift'] },
      { currency: 'eur', sourceRails: null, anyOf: ['sepa'] },
      { currency: 'aed', sourceRails: null, anyOf: ['uaefts'] },
    ])
    expect(Object.isFrozen(VIRTUAL_ACCOUNT_RAIL_RULES)).toBe(true)
    for (const rule of VIRTUAL_ACCOUNT_RAIL_RULES) {
      expect(Object.isFrozen(rule)).toBe(true)
      expect(Object.isFrozen(rule.anyOf)).toBe(true)
    }
  })
})

describe('decideVirtualAccount: KYC first', () => {
  const allApproved = VARIANTS.flatMap((v) => v.required.map((r) => rail(v.currency, r)))
  it.each([
    [kyc('not_started'), 'KYC not started: the customer must complete KYC first'],
    [kyc('pending', 'kyc_form_submission_accepted'), 'KYC pending: the submission is still under review'],
    [kyc('rejected'), 'KYC rejected'],
    [
      kyc('rejected', 'kyc_form_resubmission_required'),
      'KYC rejected: the customer must resubmit the KYC form',
    ],
  ])('%j refuses every variant, with or without a breakdown', (state, reason) => {
    for (const v of [...VARIANTS, { ...VARIANTS[2]!, sourceRails: 'swift' as const }]) {
      for (const rails of [[], allApproved]) {
        expect(
          decideVirtualAccount({ kyc: state, rails, currency: v.currency, sourceRails: v.sourceRails }),
        ).toEqual({ allowed: false, code: 'kyc_not_approved', kycStatus: state.status, reason })
      }
    }
  })
})

/** Breakdown cases, each built for one variant, with the expected outcome (null reason tail: allowed). */
const CASES: [string, (v: Variant) => RailStatus[], (v: Variant) => string | null][] = [
  ['no breakdown at all: overall approval decides', () => [], () => null],
  ['the first required rail approved', (v) => [rail(v.currency, v.required[0]!)], () => null],
  ['the last required rail approved', (v) => [rail(v.currency, v.required.at(-1)!)], () => null],
  [
    'another rail of the currency pending beside an approved one',
    (v) => [rail(v.currency, 'other_rail', 'pending'), rail(v.currency, v.required[0]!)],
    () => null,
  ],
  [
    'duplicate entries, all approved',
    (v) => [rail(v.currency, v.required[0]!), rail(v.currency, v.required[0]!)],
    () => null,
  ],
  [
    'other casing of currency, rail and status',
    (v) => [rail(v.currency.toUpperCase(), v.required[0]!.toUpperCase(), 'Approved')],
    () => null,
  ],
  [
    'every required rail pending',
    (v) => v.required.map((r) => rail(v.currency, r, 'pending')),
    (v) => v.required.map((r) => `${r} for ${v.currency} is pending, not approved`).join('; '),
  ],
  [
    'mixed duplicate entries (approved, then pending) for each rail',
    (v) => v.required.flatMap((r) => [rail(v.currency, r), rail(v.currency, r, 'pending')]),
    (v) => v.required.map((r) => `${r} for ${v.currency} is pending, not approved`).join('; '),
  ],
  [
    'mixed duplicate entries (rejected, then approved) in other casing',
    (v) => v.required.flatMap((r) => [rail(v.currency, r.toUpperCase(), 'REJECTED'), rail(v.currency, r)]),
    (v) => v.required.map((r) => `${r} for ${v.currency} is REJECTED, not approved`).join('; '),
  ],
  [
    'an unknown status value',
    (v) => v.required.map((r) => rail(v.currency, r, 'suspended_by_align')),
    (v) => v.required.map((r) => `${r} for ${v.currency} is suspended_by_align, not approved`).join('; '),
  ],
  [
    'the required rails approved for another currency only',
    (v) => [...v.required.map((r) => rail(v.other, r)), rail(v.other, 'sepa'), rail('gbp', 'fps')],
    (v) => v.required.map((r) => `Align reports no status for ${r} for ${v.currency}`).join('; '),
  ],
  [
    "only rails of the currency's other variants approved",
    (v) =>
      ['ach', 'wire', 'swift', 'sepa', 'uaefts']
        .filter((r) => !v.required.includes(r))
        .map((r) => rail(v.currency, r)),
    (v) => v.required.map((r) => `Align reports no status for ${r} for ${v.currency}`).join('; '),
  ],
]

describe.each(VARIANTS)('decideVirtualAccount: $label', (v) => {
  it.each(CASES)('%s', (_name, build, tail) => {
    const decision = decideVirtualAccount({
      kyc: approved,
      rails: build(v),
      currency: v.currency,
      sourceRails: v.sourceRails,
    })
    const expected = tail(v)
    expect(decision).toEqual(
      expected === null
        ? { allowed: true, reason: null, requiredRails: v.required }
        : {
            allowed: false,
            code: 'rail_not_approved',
            currency: v.currency,
            requiredRails: v.required,
            reason: need(v) + expected,
          },
    )
  })
})

describe('decideVirtualAccount: reasons in full', () => {
  it('usd names both rails and each status', () => {
    const decision = decideVirtualAccount({
      kyc: approved,
      rails: [rail('usd', 'ach', 'pending'), rail('eur', 'sepa')],
      currency: 'usd',
      sourceRails: null,
    })
    expect(decision.reason).toBe(
      'usd virtual accounts need an approved ach or wire rail: ach for usd is pending, not approved; ' +
        'Align reports no status for wire for usd',
    )
  })

  it('usd over swift names the swift rail', () => {
    const decision = decideVirtualAccount({
      kyc: approved,
      rails: [rail('usd', 'ach'), rail('usd', 'wire')],
      currency: 'usd',
      sourceRails: 'swift',
    })
    expect(decision.reason).toBe(
      'usd (sourceRails swift) virtual accounts need an approved swift rail: Align reports no status for swift for usd',
    )
  })

  it('an approved rail after a refused one still allows', () => {
    const decision = decideVirtualAccount({
      kyc: approved,
      rails: [rail('usd', 'ach', 'rejected'), rail('usd', 'wire')],
      currency: 'usd',
      sourceRails: null,
    })
    expect(decision).toEqual({ allowed: true, reason: null, requiredRails: ['ach', 'wire'] })
  })
})

describe('decideVirtualAccount: variants the table does not offer', () => {
  it.each([
    ['eur', []],
    ['eur', [rail('eur', 'swift'), rail('eur', 'sepa')]],
    ['aed', []],
    ['aed', [rail('aed', 'swift'), rail('aed', 'uaefts')]],
  ] as const)('%s with sourceRails swift is refused (rails %j)', (currency, rails) => {
    expect(decideVirtualAccount({ kyc: approved, rails, currency, sourceRails: 'swift' })).toEqual({
      allowed: false,
      code: 'rail_not_approved',
      currency,
      requiredRails: [],
      reason: `${currency} virtual accounts cannot take sourceRails swift: only usd can`,
    })
  })
})

describe('evaluateCapabilities: virtualAccountCurrencies', () => {
  it.each([
    ['no breakdown at all', [], ['usd', 'eur', 'aed']],
    ['usd ach only', [rail('usd', 'ach')], ['usd']],
    ['usd wire only, other casing', [rail('USD', 'Wire', 'APPROVED')], ['usd']],
    ['usd swift only (the swift variant counts)', [rail('usd', 'swift')], ['usd']],
    ['aed and eur, listed in table order', [rail('aed', 'uaefts'), rail('eur', 'sepa')], ['eur', 'aed']],
    [
      'everything approved',
      [rail('usd', 'ach'), rail('eur', 'sepa'), rail('aed', 'uaefts')],
      ['usd', 'eur', 'aed'],
    ],
    ['eur over swift only (not a variant)', [rail('eur', 'swift'), rail('aed', 'swift')], []],
    [
      'all pending',
      [rail('usd', 'ach', 'pending'), rail('usd', 'swift', 'pending'), rail('eur', 'sepa', 'pending')],
      [],
    ],
    [
      'a mixed duplicate blocks eur only',
      [rail('usd', 'ach'), rail('eur', 'sepa'), rail('eur', 'sepa', 'x')],
      ['usd'],
    ],
    ['other currencies only', [rail('gbp', 'fps'), rail('mxn', 'spei')], []],
  ])('approved, %s -> %j', (_name, rails, currencies) => {
    const result = evaluateCapabilities({ kyc: approved, rails })
    expect(result.virtualAccountCurrencies).toEqual(currencies)
    expect(result.virtualAccounts).toBe(true)
  })

  it.each([
    kyc('not_started'),
    kyc('pending'),
    kyc('rejected'),
    kyc('rejected', 'kyc_form_resubmission_required'),
  ])('empty while KYC is %j, with or without rails', (state) => {
    for (const rails of [
      [],
      [rail('usd', 'ach'), rail('usd', 'swift'), rail('eur', 'sepa'), rail('aed', 'uaefts')],
    ]) {
      const result = evaluateCapabilities({ kyc: state, rails })
      expect(result.virtualAccountCurrencies).toEqual([])
      expect(result.reason).toBe(kycBlockReason(state))
    }
  })
})
