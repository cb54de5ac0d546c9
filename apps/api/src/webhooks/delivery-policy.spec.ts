import { DELIVERY_POLICY, retryDelayMs } from './delivery-policy.js'

describe('retryDelayMs', () => {
  const { retryBaseMs: base, retryMaxMs: max } = DELIVERY_POLICY

  it('doubles per failed attempt, between half and all of the ceiling ("equal jitter")', () => {
    for (const attempts of [1, 2, 3, 4, 5]) {
      const ceiling = base * 2 ** (attempts - 1)
      expect(retryDelayMs(attempts, () => 0)).toBe(ceiling / 2)
      expect(retryDelayMs(attempts, () => 0.5)).toBe((ceiling * 3) / 4)
      expect(retryDelayMs(attempts, () => 0.999999)).toBeCloseTo(ceiling, -1)
      expect(retryDelayMs(attempts, () => 0.999999)).toBeLessThan(ceiling)
    }
  })

  it('never waits longer than retryMaxMs, however many attempts failed', () => {
    for (const attempts of [11, 12, 20, 100, 1_000, Number.MAX_SAFE_INTEGER]) {
      const d = retryDelayMs(attempts, () => 0.999999)
      expect(d).toBeLessThanOrEqual(max)
      expect(d).toBeGreaterThan(max / 2)
      expect(Number.isFinite(d)).toBe(true)
    }
  })

  it('treats zero or a negative count as the first retry', () => {
    expect(retryDelayMs(0, () => 0)).toBe(base / 2)
    expect(retryDelayMs(-3, () => 0)).toBe(base / 2)
  })

  it('spreads retries of deliveries that failed together (real randomness)', () => {
    const delays = new Set(Array.from({ length: 50 }, () => Math.round(retryDelayMs(6))))
    expect(delays.size).toBeGreaterThan(40)
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual((base * 2 ** 5) / 2)
      expect(d).toBeLessThanOrEqual(base * 2 ** 5)
    }
  })
})
