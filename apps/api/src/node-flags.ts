/**
 * The V8 flags the service runs with: `npm start` (both package.json files), the benchmark and the e2e
 * tests pass exactly these, and a unit test keeps the start scripts equal to this list. They are
 * command-line flags because V8 reads them when the heap is set up. They are a deployment choice (see
 * README, Production): the service works without them, with longer GC pauses and more memory.
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
 * - `--liftoff-only`: WebAssembly is compiled by V8's baseline compiler only. Prisma's query compiler
 *   is wasm and stays loaded; optimised (TurboFan) code for it cost ~35 MB of the service's idle RSS
 *   on PostgreSQL (2026-12-01: 191 MB with the two flags above, 156 MB with this one too, 225 MB
 *   with none). The hot paths are plain SQL (database/sql.ts), so slower wasm touches only the
 *   Prisma-built statements.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = Object.freeze([
  '--no-allocation-site-pretenuring',
  '--max-semi-space-size=8',
  '--liftoff-only',
])
