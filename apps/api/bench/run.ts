/**
 * `npm run bench` (apps/api: `tsx bench/run.ts`; the root script builds first): one run, on this
 * machine, of issues 14, 16, 17 and 20's benchmark targets, printed as a table with PASS/FAIL per target and written
 * to <repo>/bench/results.json. Sections (BENCH_ONLY names), in the order they run:
 *
 *   memory      6. service RSS idle / under the warm-link load (memory.ts)          } one stack:
 *   warm        7. warm-link throughput vs a bare node:http + pg route (warm-link.ts) } Align at
 *   rate        8. warm-link p99 at half the maximum rate, fixed rate (fixed-rate.ts) } BENCH_LATENCY_MS
 *   slow        1. warm links and readiness while cold links wait on a 1 s Align (slow-align.ts)
 *   cold        2. cold link with the status changing as the link is issued (cold-link.ts)
 *   concurrent  3. 100 concurrent link requests for one customer on 2 instances (concurrent-link.ts)
 *   burst       4. 1000 webhook deliveries for 10 customers (webhook-burst.ts)
 *   webhook     5. webhook ingestion with the worker on (webhook-ingestion.ts)
 *   scale       9. the hot statements at 1M customers vs 1k (scale.ts)
 *   va         10. virtual accounts: added latency over Align's create, 50 identical at once (virtual-accounts.ts)
 *   events     11. commit to a subscriber's receipt at 200 status changes/s (events.ts)
 *   endpoints  12. 10 endpoints, one answering 500 and one never answering (events.ts)
 *   eventcrash 13. kill -9 during delivery, the subscriber down for 60 s (event-crash.ts)
 *   feed       14. a feed page of 100 at 1M events kept vs 1k (feed.ts)
 *   stats      15. GET /v1/stats/kyc at 1M customers, 3M history rows (stats.ts)
 *   stream     16. a change committed on instance A to its event on a stream held by B (streams.ts)
 *   streams    17. 1000 open streams: the service's RSS, warm-link throughput with them vs none (streams.ts)
 *   console    18. the operators' console's overview in Chromium at 100k customers (console.ts)
 *
 * Every section but the first three starts its own stack (emulator, fresh database, service
 * processes) and stops it, so no section's leftovers (a webhook backlog, a slow emulator) touch the
 * next. A missed target is reported, never a non-zero exit; a bench that cannot run (e.g. no
 * database) exits 1. Everything started is cleaned up however the run ends (lib/cleanup.ts).
 * Knobs: bench/README.md.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { benchColdLink } from './cold-link.js'
import { benchConsole } from './console.js'
import { benchVirtualAccounts } from './virtual-accounts.js'
import { benchConcurrentLink } from './concurrent-link.js'
import { benchEventCrash } from './event-crash.js'
import { benchEndpoints, benchEvents } from './events.js'
import { benchFeed } from './feed.js'
import { benchFixedRate } from './fixed-rate.js'
import { cleanup, installCleanupHandlers } from './lib/cleanup.js'
import { REPO_ROOT, serviceNodeFlags } from './lib/processes.js'
import { machineTicks, stolenBetween } from './lib/resources.js'
import { startStack, type Stack } from './lib/stack.js'
import { progress, table, type Target } from './lib/stats.js'
import type { BenchContext, BenchOptions, SectionResult } from './lib/types.js'
import { benchMemory, measureIdleRss } from './memory.js'
import { benchScale } from './scale.js'
import { benchStats } from './stats.js'
import { benchStream, benchStreams } from './streams.js'
import { benchSlowAlign } from './slow-align.js'
import { benchWarmLink } from './warm-link.js'
import { benchWebhookBurst } from './webhook-burst.js'
import { benchWebhookIngestion } from './webhook-ingestion.js'

const num = (name: string, fallback: number) => {
  const v = process.env[name]
  const n = v === undefined || v === '' ? fallback : Number(v)
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}: expected a non-negative number, got "${v}"`)
  return n
}

function eventsDriver(v: string | undefined): 'direct' | 'sync' {
  if (v === undefined || v === '' || v === 'direct') return 'direct'
  if (v === 'sync') return 'sync'
  throw new Error(`BENCH_EVENTS_DRIVER: expected direct or sync, got "${v}"`)
}

const durationSec = num('BENCH_DURATION_SEC', 6)
const options: BenchOptions = {
  latencyMs: num('BENCH_LATENCY_MS', 5),
  connections: num('BENCH_CONNECTIONS', 10),
  durationSec,
  rounds: num('BENCH_ROUNDS', 3), // the machine's speed drifts by the minute: more alternating rounds, steadier ratios
  warmCustomers: num('BENCH_WARM_CUSTOMERS', 20),
  rateRounds: num('BENCH_RATE_ROUNDS', 2),
  rateDurationSec: num('BENCH_RATE_DURATION_SEC', durationSec),
  slowLatencyMs: num('BENCH_SLOW_LATENCY_MS', 1000),
  slowColdLinks: num('BENCH_SLOW_COLD', 100),
  coldLatencyMs: num('BENCH_COLD_LATENCY_MS', 20),
  coldCustomers: num('BENCH_COLD_CUSTOMERS', 200),
  // Unmeasured cold links first, until the cold path's own code (the Align client, axios, the insert)
  // is JIT-compiled: the figure is the steady state of a running service. Measured at 5 ms Align
  // latency (README history): 600 against 20 unmeasured gave 4.80 / 5.08 against 6.08 / 6.00 ms
  // added, with flat quarters.
  coldWarmup: num('BENCH_COLD_WARMUP', 600),
  concurrentRequests: num('BENCH_CONCURRENT', 100),
  burstDeliveries: num('BENCH_BURST_DELIVERIES', 1000),
  burstCustomers: Math.max(1, num('BENCH_BURST_CUSTOMERS', 10)),
  webhookCustomers: Math.max(1, num('BENCH_WEBHOOK_CUSTOMERS', 100)),
  idleSettleSec: num('BENCH_IDLE_SETTLE_SEC', 5),
  scaleCustomers: num('BENCH_SCALE_CUSTOMERS', 1_000_000),
  scaleBaseCustomers: num('BENCH_SCALE_BASE', 1000),
  scaleSamples: Math.max(1, num('BENCH_SCALE_SAMPLES', 200)),
  vaCustomers: num('BENCH_VA_CUSTOMERS', 200),
  vaWarmup: num('BENCH_VA_WARMUP', 200),
  vaConcurrent: num('BENCH_VA_CONCURRENT', 50),
  eventsRate: Math.max(1, num('BENCH_EVENTS_RATE', 200)),
  eventsDriver: eventsDriver(process.env.BENCH_EVENTS_DRIVER),
  eventsSeconds: Math.max(1, num('BENCH_EVENTS_SECONDS', 20)),
  endpointsRate: Math.max(1, num('BENCH_ENDPOINTS_RATE', 50)),
  endpointsRounds: Math.max(1, num('BENCH_ENDPOINTS_ROUNDS', 2)),
  eventCrashRate: Math.max(1, num('BENCH_EVENTCRASH_RATE', 50)),
  eventCrashDownSec: num('BENCH_EVENTCRASH_DOWN_SEC', 60),
  feedEvents: num('BENCH_FEED_EVENTS', 1_000_000),
  feedBaseEvents: num('BENCH_FEED_BASE', 1000),
  feedSamples: Math.max(1, num('BENCH_FEED_SAMPLES', 200)),
  statsCustomers: Math.max(1, num('BENCH_STATS_CUSTOMERS', 1_000_000)),
  statsSamples: Math.max(1, num('BENCH_STATS_SAMPLES', 30)),
  streamCustomers: Math.max(1, num('BENCH_STREAM_CUSTOMERS', 100)),
  streamRate: Math.max(1, num('BENCH_STREAM_RATE', 20)),
  streamSeconds: Math.max(1, num('BENCH_STREAM_SECONDS', 10)),
  streams: Math.max(1, num('BENCH_STREAMS', 1000)),
  streamsSettleSec: num('BENCH_STREAMS_SETTLE_SEC', 5),
  consoleCustomers: Math.max(1, num('BENCH_CONSOLE_CUSTOMERS', 100_000)),
  consoleSamples: Math.max(1, num('BENCH_CONSOLE_SAMPLES', 20)),
}
const SECTIONS = [
  'memory',
  'warm',
  'rate',
  'slow',
  'cold',
  'concurrent',
  'burst',
  'webhook',
  'scale',
  'va',
  'events',
  'endpoints',
  'eventcrash',
  'feed',
  'stats',
  'stream',
  'streams',
  'console',
] as const
type Section = (typeof SECTIONS)[number]
const only = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)
for (const s of only) {
  if (!(SECTIONS as readonly string[]).includes(s))
    throw new Error(`BENCH_ONLY: unknown section "${s}" (expected some of ${SECTIONS.join(',')})`)
}
const runs = (s: Section) => only.length === 0 || only.includes(s)
// A partial run never overwrites the full figures the README quotes.
const RESULTS =
  process.env.BENCH_RESULTS ??
  path.join(REPO_ROOT, only.length ? 'bench/results.partial.json' : 'bench/results.json')

/**
 * The service's settings for the whole run (printed and recorded). BENCH_SERVICE_ENV adds or
 * overrides some, as space-separated NAME=value pairs (e.g. a rate limit high enough never to trip,
 * to measure what the limiter costs).
 */
const SERVICE_SETTINGS: Record<string, string> = {
  RATE_LIMIT_PER_MINUTE: '0',
  LOG_LEVEL: 'warn',
  MIGRATE_ON_START: 'true',
  NODE_ENV: 'production',
  // Required in production; a fresh one per run (the bench's databases are new each run).
  WEBHOOK_ENDPOINT_KEY: randomBytes(32).toString('base64'),
  CLIENT_TOKEN_SECRET: randomBytes(32).toString('base64'),
  WEBHOOK_WORKER_INTERVAL: '2s',
  ...Object.fromEntries(
    (process.env.BENCH_SERVICE_ENV ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((pair) => {
        const at = pair.indexOf('=')
        if (at < 1) throw new Error(`BENCH_SERVICE_ENV: expected NAME=value pairs, got "${pair}"`)
        return [pair.slice(0, at), pair.slice(at + 1)]
      }),
  ),
}

/** The settings as printed and recorded: keys and secrets (fresh random ones per run) shown as `<set>`. */
const SHOWN_SETTINGS: Record<string, string> = Object.fromEntries(
  Object.entries(SERVICE_SETTINGS).map(([k, v]) => [k, /KEY|SECRET|TOKEN/.test(k) ? '<set>' : v]),
)

function machine() {
  const cpus = os.cpus()
  let postgres: string | null = null
  try {
    postgres = execFileSync('psql', ['--version'], { encoding: 'utf8' }).trim()
  } catch {
    /* optional */
  }
  let commit = process.env.BENCH_GIT_COMMIT ?? null
  let dirtySources: boolean | null = null
  try {
    commit ??= execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
    dirtySources =
      execFileSync('git', ['status', '--porcelain', '--', 'apps/api/src', 'packages'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim() !== ''
  } catch {
    /* not a git checkout */
  }
  return {
    gitCommit: commit,
    uncommittedSourceChanges: dirtySources,
    cpus: cpus.length,
    availableParallelism: os.availableParallelism?.() ?? cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    loadAverageAtStart: os.loadavg().map((v) => Number(v.toFixed(2))),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    psqlClient: postgres,
    date: new Date().toISOString(),
  }
}

async function main(): Promise<void> {
  installCleanupHandlers()
  const info = machine()
  console.log(
    `bench: ${info.cpus} CPU(s) ${info.cpuModel}, Node ${info.node}, load ${info.loadAverageAtStart.join(' ')}, ` +
      `commit ${info.gitCommit ?? '?'}${info.uncommittedSourceChanges ? ' + uncommitted changes' : ''}`,
  )
  const nodeFlags = serviceNodeFlags()
  console.log(
    `bench: service = node ${nodeFlags.join(' ')} dist/main.js (built) with ${Object.entries(SHOWN_SETTINGS)
      .map(([k, v]) => `${k}=${v}`)
      .join(
        ' ',
      )}, a fresh PostgreSQL database per stack; sections: ${(only.length ? only : SECTIONS).join(', ')}`,
  )
  const ctx: BenchContext = { options, serviceSettings: SERVICE_SETTINGS, shared: {}, progress }

  // Each section's share of the machine's CPU time the hypervisor stole (/proc/stat): on a shared VM,
  // the context a figure needs before anyone compares it with another run's.
  const sections: SectionResult[] = []
  const section = async (name: Section, run: () => Promise<SectionResult>) => {
    if (!runs(name)) return
    const before = machineTicks()
    const started = performance.now()
    const out = await run()
    const pct = stolenBetween(before, machineTicks())
    const seconds = (performance.now() - started) / 1000
    out.rows.push([
      'section time; CPU stolen by the hypervisor',
      `${seconds.toFixed(0)} s; ${pct === null ? 'n/a' : `${pct.toFixed(1)} %`}`,
    ])
    out.data.sectionSeconds = Number(seconds.toFixed(1))
    out.data.cpuStolenPercentWholeSection = pct
    sections.push(out)
  }

  if (runs('memory') || runs('warm') || runs('rate')) {
    const main: Stack = await startStack(ctx, 'main')
    try {
      main.emulator.setLatency(options.latencyMs)
      const idle = runs('memory') ? await measureIdleRss(ctx, main) : null
      await section('warm', () => benchWarmLink(ctx, main))
      await section('rate', () => benchFixedRate(ctx, main))
      if (idle) await section('memory', () => benchMemory(ctx, main, idle))
    } finally {
      await main.stop()
    }
  }
  await section('slow', () => benchSlowAlign(ctx))
  await section('cold', () => benchColdLink(ctx))
  await section('concurrent', () => benchConcurrentLink(ctx))
  await section('burst', () => benchWebhookBurst(ctx))
  await section('webhook', () => benchWebhookIngestion(ctx))
  await section('scale', () => benchScale(ctx))
  await section('va', () => benchVirtualAccounts(ctx))
  await section('events', () => benchEvents(ctx))
  await section('endpoints', () => benchEndpoints(ctx))
  await section('eventcrash', () => benchEventCrash(ctx))
  await section('feed', () => benchFeed(ctx))
  await section('stats', () => benchStats(ctx))
  await section('stream', () => benchStream(ctx))
  await section('streams', () => benchStreams(ctx))
  await section('console', () => benchConsole(ctx))

  const order = (s: SectionResult) => Number(/^(\d+)\./.exec(s.title)?.[1] ?? 99)
  sections.sort((a, b) => order(a) - order(b))
  const targets: Target[] = sections.flatMap((s) => s.targets)
  console.log('')
  for (const s of sections) {
    console.log(s.title)
    console.log(table(['figure', 'value'], s.rows))
    console.log('')
  }
  console.log(
    table(
      ['target', 'goal', 'measured', 'result'],
      targets.map((t) => [t.name, t.target, t.measured, t.pass ? 'PASS' : 'FAIL']),
    ),
  )
  const failed = targets.filter((t) => !t.pass)
  console.log(
    failed.length
      ? `\n${failed.length} of ${targets.length} targets MISSED (see above)`
      : `\nall ${targets.length} targets met`,
  )

  const results = {
    machine: { ...info, loadAverageAtEnd: os.loadavg().map((v) => Number(v.toFixed(2))) },
    setup: {
      service: 'apps/api/dist/main.js as a child process (NestJS on Fastify, Prisma adapter-pg pool max 20)',
      serviceSettings: SHOWN_SETTINGS,
      database:
        'a fresh PostgreSQL database per stack, migrated by the service (MIGRATE_ON_START=true), dropped afterwards',
      emulator: 'in-process AlignEmulator per stack; latency per section (see each section)',
      options,
      sections: only.length ? only : [...SECTIONS],
      // The flags the service ran with: src/node-flags.ts unless BENCH_SERVICE_NODE_FLAGS, then BENCH_SERVICE_NODE_ARGS.
      serviceNodeFlags: nodeFlags,
    },
    ...Object.fromEntries(sections.map((s) => [s.key, { title: s.title, ...s.data }])),
    targets,
    allTargetsMet: failed.length === 0,
  }
  await mkdir(path.dirname(RESULTS), { recursive: true })
  await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`)
  console.log(`results written to ${path.relative(process.cwd(), RESULTS) || RESULTS}`)
}

let code = 0
try {
  await main()
} catch (e) {
  code = 1
  process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`)
} finally {
  await cleanup()
}
process.exit(code)
