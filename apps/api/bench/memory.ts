/**
 * Target 6: the service process's resident memory (VmRSS, /proc/<pid>/status) on PostgreSQL, with
 * MIGRATE_ON_START=true: idle, once start-up has settled (BENCH_IDLE_SETTLE_SEC after it answered
 * ready, before any request), and under the warm-link load (the largest of samples taken every
 * 200 ms during the warm section's service rounds; with that section not in BENCH_ONLY, during a
 * 10 s warm-link load here). Only the service's own process is counted (not PostgreSQL's).
 */
import { runCannon } from './lib/cannon.js'
import { rss, sampleRss } from './lib/resources.js'
import { createWarmCustomers, linkPath } from './lib/seed.js'
import type { Stack } from './lib/stack.js'
import { round } from './lib/stats.js'
import type { BenchContext, SectionResult } from './lib/types.js'

const IDLE_TARGET_MB = 120
const LOAD_TARGET_MB = 160

/** The idle figure: call right after the stack started, before anything else touches the service. */
export async function measureIdleRss(ctx: BenchContext, stack: Stack) {
  const settle = ctx.options.idleSettleSec
  ctx.progress(`memory: ${settle} s for start-up to settle, then the idle VmRSS`)
  await new Promise((r) => setTimeout(r, settle * 1000))
  const r = rss(stack.service.pid)
  if (!r) throw new Error(`memory: no /proc/${stack.service.pid}/status (not Linux, or the service exited)`)
  return { idleMb: r.rssMb, peakSinceStartMb: r.peakMb, settleSec: settle }
}

export async function benchMemory(
  ctx: BenchContext,
  stack: Stack,
  idle: Awaited<ReturnType<typeof measureIdleRss>>,
): Promise<SectionResult> {
  let loadMb = ctx.shared.warmLoadRssMb
  let loadFrom = "the warm section's service rounds"
  if (loadMb === undefined) {
    const paths = (await createWarmCustomers(stack.api, ctx.options.warmCustomers, 'memory')).map(linkPath)
    ctx.progress(`memory: 10 s of warm-link load (${ctx.options.connections} connections)`)
    const sampler = sampleRss(stack.service.pid)
    await runCannon(
      {
        url: stack.service.url,
        connections: ctx.options.connections,
        duration: 10,
        headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
        requests: paths.map((path) => ({ method: 'POST' as const, path, body: '{}' })),
      },
      (s) => s >= 200 && s < 300,
    )
    loadMb = sampler.stop().maxMb
    loadFrom = '10 s of warm-link load in this section'
  }
  const peak = rss(stack.service.pid)?.peakMb ?? NaN
  return {
    key: 'memory',
    title: `6. Service process memory (VmRSS) on PostgreSQL, MIGRATE_ON_START=true`,
    rows: [
      ['idle', `${idle.idleMb.toFixed(1)} MB (${idle.settleSec} s after ready, no request yet)`],
      ['under the warm-link load, largest sample', `${loadMb.toFixed(1)} MB (${loadFrom})`],
      [
        'peak since start (VmHWM), for comparison',
        `${idle.peakSinceStartMb.toFixed(1)} MB at idle, ${peak.toFixed(1)} MB now`,
      ],
    ],
    targets: [
      {
        name: 'service RSS idle',
        target: `<= ${IDLE_TARGET_MB} MB`,
        measured: `${idle.idleMb.toFixed(1)} MB`,
        pass: idle.idleMb <= IDLE_TARGET_MB,
      },
      {
        name: 'service RSS under the warm-link load',
        target: `<= ${LOAD_TARGET_MB} MB`,
        measured: `${loadMb.toFixed(1)} MB`,
        pass: loadMb <= LOAD_TARGET_MB,
      },
    ],
    data: {
      source: '/proc/<pid>/status VmRSS of the service process',
      idleRssMb: round(idle.idleMb, 1),
      idleSettleSec: idle.settleSec,
      loadRssMaxMb: round(loadMb, 1),
      loadFrom,
      peakRssMbAtIdle: round(idle.peakSinceStartMb, 1),
      peakRssMbAtEnd: round(peak, 1),
    },
  }
}
