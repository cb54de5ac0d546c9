/**
 * Target 7: warm-link throughput. `POST /v1/customers/:id/kyc-sessions` with body `{}` for customers
 * that already have a live link (the reuse path: one indexed read, no Align call), on the service vs
 * a bare node:http + pg route doing the same read (bare-server.ts), alternating rounds in one run,
 * closed loop (autocannon). The service's largest VmRSS during its rounds is target 6's "under load"
 * figure, and its throughput is the maximum rate target 8 takes half of.
 */
import { runCannon } from './lib/cannon.js'
import { startBareServer, type ChildServer } from './lib/processes.js'
import { createWarmCustomers, linkPath } from './lib/seed.js'
import { perRequest, sampleRss, spent, stolenPercent, UsageProbe, type Cost } from './lib/resources.js'
import type { Stack } from './lib/stack.js'
import { latency, ms, round, roundLatency, type Latency } from './lib/stats.js'
import type { BenchContext, SectionResult } from './lib/types.js'

export type Run = {
  okRequests: number
  otherResponses: number
  errors: number
  seconds: number
  samples: number[]
  cost?: Cost
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function cannon(
  url: string,
  token: string,
  paths: string[],
  connections: number,
  seconds: number,
): Promise<Run> {
  const r = await runCannon(
    {
      url,
      connections,
      pipelining: 1,
      duration: seconds,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      // Each connection walks the list in order, then starts over.
      requests: paths.map((path) => ({ method: 'POST' as const, path, body: '{}' })),
    },
    (status) => status >= 200 && status < 300,
  )
  return {
    okRequests: r.ok,
    otherResponses: r.other,
    errors: r.errors,
    seconds: r.seconds,
    samples: r.samples,
  }
}

export type Side = {
  rps: number
  lat: Latency
  ok: number
  other: number
  errors: number
  rounds: number[]
  /** Each round's own latency (the pooled `lat` also mixes the machine's speed between rounds). */
  roundsLat: Latency[]
  cost: ReturnType<typeof perRequest>
  /** % of the machine's CPU time stolen by the hypervisor during this side's rounds. */
  stolenPct: number | null
}

export function merge(runs: Run[]): Side {
  const seconds = runs.reduce((a, r) => a + r.seconds, 0)
  const ok = runs.reduce((a, r) => a + r.okRequests, 0)
  return {
    rps: ok / seconds,
    lat: latency(runs.flatMap((r) => r.samples)),
    ok,
    other: runs.reduce((a, r) => a + r.otherResponses, 0),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    rounds: runs.map((r) => r.okRequests / r.seconds),
    roundsLat: runs.map((r) => latency(r.samples)),
    cost: perRequest(
      runs.map((r) => r.cost!),
      ok,
    ),
    stolenPct: stolenPercent(runs.map((r) => r.cost!)),
  }
}

/** One side of alternating warm-link rounds: where its load goes and whose CPU is counted. */
export type RoundSide = {
  name: string
  url: string
  pid: number
  /** Sample the process's VmRSS during this side's rounds (the largest is returned). */
  sampleRss?: boolean
  /** Brings the side about before each of its rounds (e.g. opens or closes streams). */
  before?: () => Promise<void>
}

/**
 * BENCH_ROUNDS rounds of BENCH_DURATION_SEC of warm-link load (autocannon, closed loop,
 * BENCH_CONNECTIONS) on each side in turn, every round in the order given, half a second of rest
 * before each; the CPU of the side's process (and of PostgreSQL's backends) counted per round.
 * Returns each side's runs, in the order of `sides`.
 */
export async function warmRounds(
  ctx: BenchContext,
  label: string,
  o: { probe: UsageProbe; token: string; paths: string[]; sides: RoundSide[] },
): Promise<{ runs: Run[][]; rssMaxMb: number }> {
  const { connections, durationSec, rounds } = ctx.options
  const runs: Run[][] = o.sides.map(() => [])
  let rssMaxMb = 0
  for (let r = 1; r <= rounds; r++) {
    for (const [i, side] of o.sides.entries()) {
      await side.before?.()
      await sleep(500)
      const before = await o.probe.snapshot(side.pid)
      const rss = side.sampleRss ? sampleRss(side.pid) : null
      const run = await cannon(side.url, o.token, o.paths, connections, durationSec)
      if (rss) rssMaxMb = Math.max(rssMaxMb, rss.stop().maxMb)
      run.cost = spent(before, await o.probe.snapshot(side.pid))
      runs[i]!.push(run)
      const l = latency(run.samples)
      ctx.progress(
        `${label}: round ${r}/${rounds} ${side.name.padEnd(7)} ${(run.okRequests / run.seconds).toFixed(0)} req/s, ` +
          `p50 ${ms(l.p50)}, p99 ${ms(l.p99)}${run.otherResponses + run.errors ? `, ${run.otherResponses} non-2xx, ${run.errors} errors` : ''}`,
      )
    }
  }
  return { runs, rssMaxMb }
}

export async function benchWarmLink(ctx: BenchContext, stack: Stack): Promise<SectionResult> {
  const { connections, durationSec, rounds, warmCustomers } = ctx.options
  ctx.progress(`warm link: creating ${warmCustomers} customers, each with a live link`)
  const paths = (await createWarmCustomers(stack.api, warmCustomers, 'warm')).map(linkPath)
  const token = stack.token

  let bare: ChildServer | null = null
  const probe = await UsageProbe.open(stack.databaseUrl)
  try {
    bare = await startBareServer({ DATABASE_URL: stack.databaseUrl, API_TOKEN: token, POOL_MAX: '20' })
    for (const p of paths) {
      const r = await fetch(bare.url + p, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: '{}',
      })
      if (r.status !== 200) throw new Error(`bare server answered ${r.status}: ${await r.text()}`)
    }

    const targets = { service: stack.service.url, bare: bare.url }
    ctx.progress(`warm link: warm-up, 3 s each side (${connections} connections)`)
    await cannon(targets.service, token, paths, connections, 3)
    await cannon(targets.bare, token, paths, connections, 3)

    stack.emulator.resetCalls()
    const { runs, rssMaxMb } = await warmRounds(ctx, 'warm link', {
      probe,
      token,
      paths,
      sides: [
        { name: 'service', url: targets.service, pid: stack.service.pid, sampleRss: true },
        { name: 'bare', url: targets.bare, pid: bare.pid },
      ],
    })
    const alignCalls = Object.values(stack.emulator.calls()).reduce((a, b) => a + b, 0)

    const s = merge(runs[0]!)
    const b = merge(runs[1]!)
    const ratio = s.rps / b.rps
    const clean = s.other + s.errors + b.other + b.errors === 0
    ctx.shared.warmServiceRps = s.rps
    ctx.shared.warmLoadRssMb = rssMaxMb
    return {
      key: 'warmLink',
      title: `7. Warm link throughput: POST /v1/customers/:id/kyc-sessions {} (live link reused), ${connections} connections, ${rounds}×${durationSec} s per side, alternating, closed loop`,
      rows: [
        ['customers', `${warmCustomers} with live links, requests spread round-robin over them`],
        ['service', sideRow(s)],
        ['bare node:http + pg', sideRow(b)],
        ['ratio service/bare', `${ratio.toFixed(2)}`],
        [
          'CPU stolen by the hypervisor',
          `${fmtPct(s.stolenPct)} during the service's rounds, ${fmtPct(b.stolenPct)} during the bare's`,
        ],
        [
          'CPU ms per request: server process',
          `service ${fmtCost(s.cost.serverCpuMsPerReq)}, bare ${fmtCost(b.cost.serverCpuMsPerReq)}`,
        ],
        [
          'CPU ms per request: PG backends',
          `service ${fmtCost(s.cost.postgresCpuMsPerReq)}, bare ${fmtCost(b.cost.postgresCpuMsPerReq)}`,
        ],
        [
          'CPU ms per request: autocannon',
          `service ${fmtCost(s.cost.loadGeneratorCpuMsPerReq)}, bare ${fmtCost(b.cost.loadGeneratorCpuMsPerReq)}`,
        ],
        ['non-2xx / errors', `service ${s.other}/${s.errors}, bare ${b.other}/${b.errors}`],
        ['Align calls during the runs', String(alignCalls)],
        ['service VmRSS during its rounds, largest', `${rssMaxMb.toFixed(1)} MB (target 6)`],
      ],
      targets: [
        {
          name: 'warm link throughput ratio (service/bare)',
          target: '>= 0.60',
          measured: ratio.toFixed(2),
          pass: ratio >= 0.6 && clean,
        },
      ],
      data: {
        customers: warmCustomers,
        spread: 'round-robin over the customers, each autocannon connection walking the list',
        connections,
        durationSecPerRound: durationSec,
        rounds,
        warmupSecPerSide: 3,
        latencySource:
          'per-response times from autocannon response events (float ms), all rounds pooled (the targets); per round as well',
        service: sideData(s),
        bare: sideData(b),
        ratio: round(ratio),
        alignCallsDuringRuns: alignCalls,
        serviceRssMaxMbDuringRounds: round(rssMaxMb, 1),
      },
    }
  } finally {
    await probe.close()
    await bare?.stop()
  }
}

/** One side's line in the printed table. */
export const sideRow = (side: Side) =>
  `${side.rps.toFixed(0)} req/s  p50 ${ms(side.lat.p50)}  p99 ${ms(side.lat.p99)}  ` +
  `(rounds: ${side.rounds.map((v) => v.toFixed(0)).join(', ')} req/s)`

/** One side's figures as recorded in results.json. */
export function sideData(side: Side) {
  return {
    reqPerSec: round(side.rps, 1),
    ...roundLatency(side.lat),
    ok: side.ok,
    non2xx: side.other,
    errors: side.errors,
    roundsReqPerSec: side.rounds.map((v) => round(v, 1)),
    roundsP50Ms: side.roundsLat.map((l) => round(l.p50)),
    roundsP99Ms: side.roundsLat.map((l) => round(l.p99)),
    cost: side.cost,
    cpuStolenPercent: side.stolenPct,
  }
}

const fmtPct = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(1)} %`)
const fmtCost = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3))
