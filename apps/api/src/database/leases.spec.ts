import { leasePollDelayMs } from './leases.js'

describe('leasePollDelayMs', () => {
  it('starts at 5-10 ms, grows by half per look, and never exceeds 50 ms (jitter: 50-100 % of the ceiling)', () => {
    const ceilings = [10, 15, 22.5, 33.75, 50, 50, 50]
    ceilings.forEach((ceiling, attempt) => {
      expect(leasePollDelayMs(attempt, () => 0)).toBeCloseTo(ceiling / 2)
      expect(leasePollDelayMs(attempt, () => 1)).toBeCloseTo(ceiling)
    })
    expect(leasePollDelayMs(1000, () => 1)).toBe(50)
  })
})
