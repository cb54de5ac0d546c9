import type { AlignEmulator } from '@align-kyc/align-client/testing'
import type { HttpClient } from './http.js'
import type { Target } from './stats.js'

/** What every bench section (and the optional webhook-ingestion module) is handed by run.ts. */
export type BenchContext = {
  /** In-process Align emulator the service talks to (latency already set to `latencyMs` on every route). */
  emulator: AlignEmulator
  latencyMs: number
  /** The built service (dist/main.js) as a child process. */
  service: { url: string; pid: number }
  /** Its fresh PostgreSQL database (migrated by the service on start). */
  databaseUrl: string
  /** A bearer token from the service's API_KEYS. */
  token: string
  /** Keep-alive client for the service with the Authorization header set. */
  api: HttpClient
  /** Knobs (env BENCH_*), so every section uses the same load shape. */
  options: BenchOptions
  /** One progress line. */
  progress(message: string): void
}

export type BenchOptions = {
  latencyMs: number
  connections: number
  durationSec: number
  rounds: number
  warmCustomers: number
  concurrentRequests: number
  coldCustomers: number
  /** Cold links made before the measured ones (not measured). */
  coldWarmup: number
}

/** One section's outcome: printed rows, PASS/FAIL targets, and what goes into results.json under `key`. */
export type SectionResult = {
  key: string
  title: string
  rows: [label: string, value: string][]
  targets: Target[]
  data: Record<string, unknown>
}
