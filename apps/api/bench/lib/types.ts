import type { Target } from './stats.js'

/** What every bench section is handed by run.ts. */
export type BenchContext = {
  /** Knobs (env BENCH_*), so every section uses the same load shape. */
  options: BenchOptions
  /** The service's settings for the whole run (BENCH_SERVICE_ENV included). */
  serviceSettings: Record<string, string>
  /** Figures one section measures and a later one uses (see run.ts for the order). */
  shared: {
    /** The warm section's service throughput (req/s), closed loop: the fixed-rate section runs at half. */
    warmServiceRps?: number
    /** The largest VmRSS of the service during the warm section's service rounds (MB). */
    warmLoadRssMb?: number
  }
  /** One progress line. */
  progress(message: string): void
}

export type BenchOptions = {
  /** Align latency (ms, every route) where a section does not set its own. */
  latencyMs: number
  connections: number
  durationSec: number
  rounds: number
  warmCustomers: number
  rateRounds: number
  rateDurationSec: number
  slowLatencyMs: number
  slowColdLinks: number
  coldLatencyMs: number
  coldCustomers: number
  /** Cold links made before the measured ones (not measured). */
  coldWarmup: number
  concurrentRequests: number
  burstDeliveries: number
  burstCustomers: number
  webhookCustomers: number
  idleSettleSec: number
  scaleCustomers: number
  scaleBaseCustomers: number
  scaleSamples: number
  vaCustomers: number
  /** Virtual accounts opened before the measured ones (not measured). */
  vaWarmup: number
  vaConcurrent: number
  /** Committed KYC status changes per second (section 11) and seconds per measured run (11, 12). */
  eventsRate: number
  /** How sections 11-13 commit status changes: `direct` (the repository's transaction, in the bench process) or `sync` (HTTP). */
  eventsDriver: 'direct' | 'sync'
  eventsSeconds: number
  /** Section 12's rate (10 endpoints: ten deliveries per change). */
  endpointsRate: number
  /** Section 12's rounds per side (alternating). */
  endpointsRounds: number
  /** Section 13: the rate, and how long the subscriber is down. */
  eventCrashRate: number
  eventCrashDownSec: number
  /** Section 14: events kept, the small table's size, timed pages per size and kind. */
  feedEvents: number
  feedBaseEvents: number
  feedSamples: number
  /** Section 15: customers seeded (3 history rows each) and timed stats requests. */
  statsCustomers: number
  statsSamples: number
  /** Section 16: customers with a stream on instance B, status changes per second through A, seconds measured. */
  streamCustomers: number
  streamRate: number
  streamSeconds: number
  /** Section 17: streams held open on one instance, and the settle before each VmRSS reading. */
  streams: number
  streamsSettleSec: number
  /** Section 18: customers seeded (all in the overview's default 30 days) and timed page loads. */
  consoleCustomers: number
  consoleSamples: number
}

/** One section's outcome: printed rows, PASS/FAIL targets, and what goes into results.json under `key`. */
export type SectionResult = {
  key: string
  title: string
  rows: [label: string, value: string][]
  targets: Target[]
  data: Record<string, unknown>
}
