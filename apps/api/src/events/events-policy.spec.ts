import { EVENTS_POLICY, outboundRetryDelayMs } from './events-policy.js'

describe('outboundRetryDelayMs', () => {
  it.each([
    [1, 5_000],
    [2, 10_000],
    [3, 20_000],
    [10, 2_560_000],
  ])('after %i failed attempts waits 50-100 %% of min(base * 2^(n-1), max)', (attempts, uncapped) => {
    const ceiling = Math.min(uncapped, EVENTS_POLICY.retryMaxMs)
    expect(outboundRetryDelayMs(attempts, 5_000, () => 0)).toBe(ceiling / 2)
    expect(outboundRetryDelayMs(attempts, 5_000, () => 1)).toBe(ceiling)
  })

  it('reaches three days in a few dozen attempts at the default base (5 s, capped at 1 h)', () => {
    let total = 0
    let attempts = 0
    while (total < 3 * 24 * 3_600_000) total += outboundRetryDelayMs(++attempts, 5_000, () => 1)
    expect(attempts).toBeGreaterThan(70)
    expect(attempts).toBeLessThan(90)
  })
})
