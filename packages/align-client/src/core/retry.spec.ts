import {
  computeBackoffMs,
  DEFAULT_RETRY_POLICY,
  isIdempotentMethod,
  isNeverSentErrno,
  isRetryableStatus,
  parseRetryAfterMs,
  sleep,
} from './retry.js'

describe('retry policy', () => {
  it('treats GET/PUT/DELETE as idempotent and POST as not', () => {
    expect(['GET', 'PUT', 'DELETE'].map(isIdempotentMethod)).toEqual([true, true, true])
    expect(isIdempotentMethod('POST')).toBe(false)
  })

  it.each([
    [408, true],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [599, true],
    [400, false],
    [401, false],
    [404, false],
    [409, false],
    [422, false],
  ])('status %i retryable: %s', (status, expected) => {
    expect(isRetryableStatus(status)).toBe(expected)
  })

  it('only counts refused / unresolved connections as never sent', () => {
    expect(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'].every(isNeverSentErrno)).toBe(true)
    expect(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', undefined].some(isNeverSentErrno)).toBe(false)
  })

  it('uses full jitter under an exponentially growing, capped ceiling', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1_000 }
    expect(computeBackoffMs(0, policy, () => 0.999)).toBe(99)
    expect(computeBackoffMs(2, policy, () => 0.999)).toBe(399)
    expect(computeBackoffMs(10, policy, () => 0.999)).toBe(999)
    expect(computeBackoffMs(3, policy, () => 0)).toBe(0)
  })

  describe('parseRetryAfterMs', () => {
    const now = Date.parse('2025-01-01T00:00:00Z')
    it('reads delta seconds', () =>
      expect(parseRetryAfterMs({ 'retry-after': '3' }, 60_000, now)).toBe(3_000))
    it('reads an HTTP date', () =>
      expect(parseRetryAfterMs({ 'retry-after': 'Wed, 01 Jan 2025 00:00:05 GMT' }, 60_000, now)).toBe(5_000))
    it('reads retry-after-ms first', () =>
      expect(parseRetryAfterMs({ 'retry-after-ms': '250', 'retry-after': '9' }, 60_000, now)).toBe(250))
    it('clamps to the cap and to zero', () => {
      expect(parseRetryAfterMs({ 'retry-after': '3600' }, 30_000, now)).toBe(30_000)
      expect(parseRetryAfterMs({ 'retry-after': 'Tue, 31 Dec 2024 23:00:00 GMT' }, 30_000, now)).toBe(0)
    })
    it('ignores absent or garbage values', () => {
      expect(parseRetryAfterMs({}, 30_000, now)).toBeUndefined()
      expect(parseRetryAfterMs({ 'retry-after': 'soon' }, 30_000, now)).toBeUndefined()
      expect(parseRetryAfterMs(undefined, 30_000, now)).toBeUndefined()
    })
  })

  it('sleep rejects as soon as the signal aborts', async () => {
    const controller = new AbortController()
    const started = Date.now()
    setTimeout(() => controller.abort(new Error('stop')), 20)
    await expect(sleep(5_000, controller.signal)).rejects.toThrow('stop')
    expect(Date.now() - started).toBeLessThan(1_000)
  })
})
