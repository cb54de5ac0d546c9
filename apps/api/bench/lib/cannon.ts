import autocannon from 'autocannon'

/** What one autocannon run saw: accepted answers with their latencies, everything else counted. */
export type CannonRun = { ok: number; other: number; errors: number; seconds: number; samples: number[] }

/**
 * Runs autocannon with `options` and classifies every response with `isOk` (its latency is kept as a
 * sample); errors and timeouts are counted together. Shared by the warm-link and webhook benchmarks.
 */
export function runCannon(
  options: autocannon.Options,
  isOk: (status: number) => boolean,
): Promise<CannonRun> {
  return new Promise((resolve, reject) => {
    const samples: number[] = []
    let ok = 0
    let other = 0
    const started = performance.now()
    const instance = autocannon(options, (err, result) => {
      if (err) return reject(err)
      resolve({
        ok,
        other,
        errors: result.errors + result.timeouts,
        seconds: (performance.now() - started) / 1000,
        samples,
      })
    })
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (isOk(status)) {
        ok++
        samples.push(responseTime)
      } else other++
    })
  })
}
