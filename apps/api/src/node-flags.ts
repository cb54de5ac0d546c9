/**
 * The V8 flags the service runs with: `npm start` (both package.json files), the benchmark and the e2e
 * tests pass exactly these, and a unit test keeps the start scripts equal to this list. They are
 * command-line flags because V8 reads them when the heap is set up; main.ts warns when they are missing.
 *
 * Why (apps/api/bench, README "Benchmarks", warm link; scavenges measured with --trace-gc-nvp):
 * - `--no-allocation-site-pretenuring`: under load V8 decided to allocate some per-request object
 *   literals directly in the old generation ("pretenuring", --trace-pretenuring-statistics). They die
 *   young but stay in the old space until the next full GC and keep the young objects they point to
 *   alive: each scavenge copied ~300 KB and promoted ~190 KB of such garbage (the bare node:http
 *   baseline: 27 KB and 1 KB). Without it: ~110 KB copied, 3 KB promoted.
 * - `--max-semi-space-size=8` (MB; V8's default here is 16): a scavenge stops the event loop, and
 *   every request in flight waits for it; those pauses made the warm link's p99 (three quarters of
 *   the slowest 1 % overlapped one). With both flags a scavenge pauses ~0.8 ms instead of ~1.4 ms,
 *   about twice as often, for about the same GC time in all. The cost: the cold link, which
 *   allocates more per request, gained ~0.3 ms at p50.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = Object.freeze([
  '--no-allocation-site-pretenuring',
  '--max-semi-space-size=8',
])

/** The flags of SERVICE_NODE_FLAGS this process was started without (node's execArgv). */
export function missingNodeFlags(execArgv: readonly string[] = process.execArgv): string[] {
  return SERVICE_NODE_FLAGS.filter((flag) => !execArgv.includes(flag))
}
