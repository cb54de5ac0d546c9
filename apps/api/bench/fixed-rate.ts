/**
 * Target 8: the warm link's p99 at a fixed rate of half the service's measured maximum (the warm
 * section's closed-loop throughput; measured here with a short autocannon run when that section did
 * not run), on the service and on the bare node:http + pg route at the same rate, alternating rounds.
 * The load is open-loop (lib/open-loop.ts: requests keep arriving on schedule while the server
 * stalls), so a pause shows in the p99 of every request that arrived during it.
 */
import { runCannon } from './lib/cannon.js'
import { openLoop, type OpenLoopRun } from './lib/open-loop.js'
import { startBareServer, type ChildServer } from './lib/processes.js'
import { createWarmCustomers, linkPath } from './lib/seed.js'
import type { Stack } from './lib/stack.js'
import { latency, ms, round, roundLatency } from './lib/stats.js'
import type { BenchContext, SectionResult } from './lib/types.js'

const RATIO_TARGET = 1.5

export async function benchFixedRate(ctx: BenchContext, stack: Stack): Promise<SectionResult> {
  const { rateRounds, rateDurationSec, warmCustomers, connections } = ctx.options
  const paths = (await createWarmCustomers(stack.api, warmCustomers, 'rate')).map(linkPath)
  const headers = { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' }
  let maxRps = ctx.shared.warmServiceRps
  let maxFrom = 'the warm section (closed loop)'
  if (maxRps === undefined) {
    ctx.progress(`fixed rate: measuring the service's maximum (autocannon, ${connections} connections, 5 s)`)
    await runCannon(
      { url: stack.service.url, connections, duration: 2, headers, requests: reqs(paths) },
      ok2xx,
    )
    const r = await runCannon(
      { url: stack.service.url, connections, duration: 5, headers, requests: reqs(paths) },
      ok2xx,
    )
    maxRps = r.ok / r.seconds
    maxFrom = `one 5 s autocannon run here, ${connections} connections`
  }
  const rate = Math.max(1, Math.round(maxRps / 2))

  let bare: ChildServer | null = null
  try {
    bare = await startBareServer({ DATABASE_URL: stack.databaseUrl, API_TOKEN: stack.token, POOL_MAX: '20' })
    const urls = { service: stack.service.url, bare: bare.url }
    const load = (side: keyof typeof urls, seconds: number) =>
      openLoop({ url: urls[side], paths, headers, body: '{}', rate, seconds })
    ctx.progress(`fixed rate: ${rate} req/s (half of ${maxRps.toFixed(0)}), warm-up 2 s each side`)
    await load('service', 2)
    await load('bare', 2)
    const runs: Record<keyof typeof urls, OpenLoopRun[]> = { service: [], bare: [] }
    for (let r = 1; r <= rateRounds; r++) {
      for (const side of ['service', 'bare'] as const) {
        const run = await load(side, rateDurationSec)
        runs[side].push(run)
        const l = latency(run.samples)
        ctx.progress(
          `fixed rate: round ${r}/${rateRounds} ${side.padEnd(7)} ${(run.ok / run.seconds).toFixed(0)} req/s answered, ` +
            `p50 ${ms(l.p50)}, p99 ${ms(l.p99)}, generator lag max ${ms(run.maxLagMs)}, ${run.cpuMsPerRequest.toFixed(3)} ms CPU/req`,
        )
      }
    }
    const sum = (side: keyof typeof urls) => {
      const rs = runs[side]
      return {
        lat: latency(rs.flatMap((r) => r.samples)),
        byRound: rs.map((r) => latency(r.samples)),
        sent: rs.reduce((a, r) => a + r.sent, 0),
        ok: rs.reduce((a, r) => a + r.ok, 0),
        bad: rs.reduce((a, r) => a + r.other + r.errors, 0),
        maxLagMs: Math.max(...rs.map((r) => r.maxLagMs)),
        cpuMsPerRequest: rs.map((r) => r.cpuMsPerRequest),
      }
    }
    const s = sum('service')
    const b = sum('bare')
    const ratio = s.lat.p99 / b.lat.p99
    const side = (x: typeof s) => ({
      ...roundLatency(x.lat),
      roundsP99Ms: x.byRound.map((l) => round(l.p99)),
      sent: x.sent,
      ok: x.ok,
      non2xxOrErrors: x.bad,
      generatorMaxLagMs: round(x.maxLagMs),
      roundsGeneratorCpuMsPerRequest: x.cpuMsPerRequest.map((v) => round(v, 4)),
    })
    return {
      key: 'fixedRate',
      title: `8. Warm link p99 at a fixed rate of ${rate} req/s (half the service's maximum), open loop, ${rateRounds}×${rateDurationSec} s per side, alternating`,
      rows: [
        ['maximum rate (service)', `${maxRps.toFixed(0)} req/s, from ${maxFrom}`],
        [
          'service',
          `p50 ${ms(s.lat.p50)}  p99 ${ms(s.lat.p99)}  (rounds p99 ${s.byRound.map((l) => ms(l.p99)).join(', ')})`,
        ],
        [
          'bare node:http + pg',
          `p50 ${ms(b.lat.p50)}  p99 ${ms(b.lat.p99)}  (rounds p99 ${b.byRound.map((l) => ms(l.p99)).join(', ')})`,
        ],
        ['p99 service / bare', ratio.toFixed(2)],
        [
          'sent / answered 2xx / other',
          `service ${s.sent}/${s.ok}/${s.bad}, bare ${b.sent}/${b.ok}/${b.bad}`,
        ],
        ['generator lag behind schedule, worst', `service ${ms(s.maxLagMs)}, bare ${ms(b.maxLagMs)}`],
      ],
      targets: [
        {
          name: 'warm link p99 at half the maximum rate, service / bare',
          target: `<= ${RATIO_TARGET.toFixed(2)}`,
          measured: `${ratio.toFixed(2)} (${ms(s.lat.p99)} vs ${ms(b.lat.p99)} at ${rate} req/s)`,
          pass: ratio <= RATIO_TARGET && s.bad === 0 && s.ok === s.sent,
        },
      ],
      data: {
        generator:
          'open loop (bench/lib/open-loop.ts), node:http keep-alive agent, up to 64 sockets, schedule checked every 1 ms',
        maxRateReqPerSec: round(maxRps, 1),
        maxRateFrom: maxFrom,
        rateReqPerSec: rate,
        rounds: rateRounds,
        durationSecPerRound: rateDurationSec,
        service: side(s),
        bare: side(b),
        p99ServiceOverBare: round(ratio),
      },
    }
  } finally {
    await bare?.stop()
  }
}

const ok2xx = (status: number) => status >= 200 && status < 300
const reqs = (paths: string[]) => paths.map((path) => ({ method: 'POST' as const, path, body: '{}' }))
