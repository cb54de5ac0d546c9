import {
  customerName,
  formatCount,
  formatDateTime,
  formatDay,
  formatDuration,
  formatLinkReason,
  formatPercent,
  formatRelative,
  formatSource,
  formatSubStatus,
  humanize,
} from './format'

describe('formatDuration', () => {
  it.each([
    [null, '–'],
    [undefined, '–'],
    [Number.NaN, '–'],
    [-5, '0 s'],
    [0, '0 s'],
    [44.6, '45 s'],
    [59.4, '59 s'],
    [60, '1 min'],
    [719, '12 min'],
    [3599, '60 min'],
    [3600, '1 h'],
    [12_600, '3.5 h'],
    [86_399, '24 h'],
    [86_400, '1 d'],
    [181_440, '2.1 d'],
  ])('%p seconds -> %p', (seconds, text) => {
    expect(formatDuration(seconds as number | null | undefined)).toBe(text)
  })
})

describe('formatCount and formatPercent', () => {
  it('groups thousands', () => {
    expect(formatCount(0)).toBe('0')
    expect(formatCount(999)).toBe('999')
    expect(formatCount(100_000)).toBe('100,000')
    expect(formatCount(1_234_567)).toBe('1,234,567')
  })
  it('rounds percentages, shows <1 for a sliver and – without a whole', () => {
    expect(formatPercent(1, 3)).toBe('33 %')
    expect(formatPercent(2, 3)).toBe('67 %')
    expect(formatPercent(3, 3)).toBe('100 %')
    expect(formatPercent(0, 3)).toBe('0 %')
    expect(formatPercent(1, 1000)).toBe('<1 %')
    expect(formatPercent(5, 0)).toBe('–')
  })
})

describe('times', () => {
  const now = new Date('2026-12-01T12:00:00.000Z')
  it('writes date-times in UTC to the second', () => {
    expect(formatDateTime('2026-12-01T14:52:07.123Z')).toBe('2026-12-01 14:52:07 UTC')
    expect(formatDateTime('2026-12-01T15:52:07+01:00')).toBe('2026-12-01 14:52:07 UTC')
    expect(formatDateTime(null)).toBe('–')
    expect(formatDateTime('not a date')).toBe('not a date')
  })
  it('writes relative times both ways', () => {
    expect(formatRelative('2026-12-01T11:59:30.000Z', now)).toBe('just now')
    expect(formatRelative('2026-12-01T11:55:00.000Z', now)).toBe('5 min ago')
    expect(formatRelative('2026-12-01T09:00:00.000Z', now)).toBe('3 h ago')
    expect(formatRelative('2026-11-24T12:00:00.000Z', now)).toBe('7 d ago')
    expect(formatRelative('2026-12-02T12:00:00.000Z', now)).toBe('in 1 d')
    expect(formatRelative(null, now)).toBe('–')
  })
  it('writes a UTC day as month and day, whatever the local zone', () => {
    expect(formatDay('2026-12-01')).toBe('Dec 1')
    expect(formatDay('2026-01-31')).toBe('Jan 31')
    expect(formatDay('garbage')).toBe('garbage')
  })
})

describe('enum values as words', () => {
  it('humanizes snake_case and keeps unknown values readable', () => {
    expect(humanize('not_started')).toBe('not started')
    expect(humanize(null)).toBe('–')
    expect(formatSubStatus('kyc_form_submission_accepted')).toBe('form submitted')
    expect(formatSubStatus('kyc_form_resubmission_required')).toBe('resubmission required')
    expect(formatSubStatus('kyc_something_new')).toBe('kyc something new')
    expect(formatSubStatus(null)).toBe('–')
    expect(formatSource('webhook')).toBe("Align's webhook")
    expect(formatSource('session')).toBe('read after a new link')
    expect(formatSource('manual_fix')).toBe('manual fix')
  })
  it('says why each kind of link was issued', () => {
    expect(formatLinkReason('none_yet')).toBe('first link')
    expect(formatLinkReason('forced')).toMatch(/forced/)
    expect(formatLinkReason('resubmission_required')).toMatch(/resubmission/)
    expect(formatLinkReason('expired')).toMatch(/expired/)
    expect(formatLinkReason('expiring')).toMatch(/about to expire/)
  })
})

describe('customerName', () => {
  const base = { firstName: null, lastName: null, companyName: null, redactedAt: null }
  it('names people, companies and redacted customers', () => {
    expect(customerName({ ...base, type: 'individual', firstName: 'Alice', lastName: 'Smith' })).toBe(
      'Alice Smith',
    )
    expect(customerName({ ...base, type: 'corporate', companyName: 'Acme Ltd' })).toBe('Acme Ltd')
    expect(customerName({ ...base, type: 'individual' })).toBe('–')
    expect(
      customerName({ ...base, type: 'individual', firstName: 'A', redactedAt: '2026-12-01T00:00:00Z' }),
    ).toBe('redacted')
  })
})
