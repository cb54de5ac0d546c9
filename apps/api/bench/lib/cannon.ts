import autocannon from 'autocannon'
import { startIpcChild } from './processes.js'

/**
 * What one autocannon run saw: accepted answers with their latencies (and when each ended, on
 * performance.now()'s clock), everything else counted.
 */
export type CannonRun = {
  ok: number
  other: number
  errors: number
  seconds: number
  samples: number[]
  ends: number[]
}

/**
 * Runs autocannon (closed loop: each connection sends its next request when the answer to the last
 * one has arrived) with `options` and classifies every response with `isOk` (its latency is kept as
 * a sample); errors and timeouts are counted together. `until`: stop early once it settles.
 */
export function runCannon(
  options: autocannon.Options,
  isOk: (status: number) => boolean,
  until?: Promise<unknown>,
): Promise<CannonRun> {
  return new Promise((resolve, reject) => {
    const samples: number[] = []
    const ends: number[] = []
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
        ends,
      })
    })
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (isOk(status)) {
        ok++
        samples.push(responseTime)
        ends.push(performance.now())
      } else other++
    })
    void until?.finally(() => instance.stop())
  })
}

/**
 * runCannon in its own process (bench/cannon-child.ts), so the bench process's other work (the
 * emulator above all) is not counted as the server's latency. `ends` are on the epoch clock
 * (performance.timeOrigin + performance.now()); `stop()` ends the run, which `run` resolves with.
 */
export async function startCannonChild(
  options: autocannon.Options,
  okStatus: number,
): Promise<{ run: Promise<CannonRun>; stop(): Promise<void> }> {
  const child = await startIpcChild<{ ready: true }>('load generator', 'cannon-child.ts', {})
  const run = child.send<CannonRun & { error?: string }>({ cmd: 'run', options, okStatus }).then((r) => {
    child.stop()
    if (r.error) throw new Error(`load generator: ${r.error}`)
    return r
  })
  return { run, stop: () => child.send({ cmd: 'stop' }) }
}
