import { sameRails } from './kyc-observation.js'

describe('sameRails', () => {
  const usdAch = { currency: 'usd', paymentRail: 'ach', status: 'pending' }
  const eurSepa = { currency: 'eur', paymentRail: 'sepa', status: 'pending' }

  it('ignores key order (jsonb reorders keys), not values', () => {
    const fromJsonb = JSON.parse('[{"status":"pending","currency":"usd","paymentRail":"ach"}]')
    expect(JSON.stringify(fromJsonb)).not.toBe(JSON.stringify([usdAch]))
    expect(sameRails([usdAch], fromJsonb)).toBe(true)
    expect(sameRails([], [])).toBe(true)
  })

  it('tells any difference of status, rail, currency, length or order', () => {
    expect(sameRails([usdAch], [{ ...usdAch, status: 'approved' }])).toBe(false)
    expect(sameRails([usdAch], [{ ...usdAch, paymentRail: 'wire' }])).toBe(false)
    expect(sameRails([usdAch], [{ ...usdAch, currency: 'eur' }])).toBe(false)
    expect(sameRails([usdAch], [usdAch, eurSepa])).toBe(false)
    expect(sameRails([usdAch, eurSepa], [eurSepa, usdAch])).toBe(false)
    expect(sameRails([], [usdAch])).toBe(false)
  })
})
