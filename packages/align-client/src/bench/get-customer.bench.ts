/**
 * `customers.get` through AlignClient vs a bare `fetch` of the same URL, against one in-process
 * emulator, in one run. Both sides parse the JSON; the client also validates it with zod and runs
 * its retry/deadline machinery. Run with `npm run bench` (tsx; not part of the build).
 *
 * Env knobs: BENCH_ITERATIONS (default 3000), BENCH_CONCURRENCY (default 16), BENCH_WARMUP (default 500).
 */
import { AlignClient } from '../client.js'
import { AlignEmulator } from '../testing/emulator.js'

const iterations = Number(process.env['BENCH_ITERATIONS'] ?? 3_000)
const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 16)
const warmup = Number(process.env['BENCH_WARMUP'] ?? 500)

type Stats = { mean: number; p50: number; p99: number; opsPerSec: number }

function stats(samples: number[], wallMs: number): Stats {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
  return {
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
    p50: at(0.5),
    p99: at(0.99),
    opsPerSec: (samples.length / wallMs) * 1_000,
  }
}

async function sequential(op: () => Promise<unknown>, n: number): Promise<Stats> {
  const samples: number[] = []
  const started = performance.now()
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await op()
    samples.push(performance.now() - t)
  }
  return stats(samples, performance.now() - started)
}

async function concurrent(op: () => Promise<unknown>, n: number, workers: number): Promise<Stats> {
  const samples: number[] = []
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next++ < n) {
        const t = performance.now()
        await op()
        samples.push(performance.now() - t)
      }
    }),
  )
  return stats(samples, performance.now() - started)
}

const fmt = (s: Stats) =>
  `mean ${s.mean.toFixed(3)} ms  p50 ${s.p50.toFixed(3)} ms  p99 ${s.p99.toFixed(3)} ms  ${s.opsPerSec.toFixed(0)} ops/s`

const emulator = new AlignEmulator()
const { url } = await emulator.start()
const client = new AlignClient({ apiKey: emulator.apiKey, baseUrl: url })
const { customer_id } = await client.customers.create({
  email: 'bench@example.com',
  type: 'individual',
  first_name: 'Bench',
  last_name: 'Mark',
})
await client.customers.createKycSession(customer_id)
await client.customers.simulateCustomer({ customer_id, action: 'kyc.status.approve' })
const target = `${url}/v0/customers/${encodeURIComponent(customer_id)}`

const viaFetch = async () => {
  const response = await fetch(target, {
    headers: { authorization: emulator.apiKey, accept: 'application/json' },
  })
  if (response.status !== 200) throw new Error(`fetch got ${response.status}`)
  return response.json()
}
const viaClient = () => client.customers.get(customer_id)

console.log(`customers.get: ${iterations} iterations after ${warmup} warm-up, node ${process.version}`)
for (let i = 0; i < warmup; i++) {
  await viaFetch()
  await viaClient()
}

// Interleave the two sides in rounds so drift (GC, CPU frequency) hits both alike.
const rounds = 3
const results: Record<string, Stats[]> = {
  'fetch seq': [],
  'client seq': [],
  'fetch conc': [],
  'client conc': [],
}
for (let r = 0; r < rounds; r++) {
  results['fetch seq']!.push(await sequential(viaFetch, iterations))
  results['client seq']!.push(await sequential(viaClient, iterations))
  results['fetch conc']!.push(await concurrent(viaFetch, iterations, concurrency))
  results['client conc']!.push(await concurrent(viaClient, iterations, concurrency))
}
const best = (name: string) => [...results[name]!].sort((a, b) => a.mean - b.mean)[0]!

for (const mode of ['seq', 'conc'] as const) {
  const bare = best(`fetch ${mode}`)
  const ours = best(`client ${mode}`)
  const label = mode === 'seq' ? 'sequential' : `concurrent (${concurrency} in flight)`
  console.log(`\n${label} (best of ${rounds} rounds)`)
  console.log(`  bare fetch    ${fmt(bare)}`)
  console.log(`  AlignClient   ${fmt(ours)}`)
  console.log(
    `  ratio client/fetch: mean ${(ours.mean / bare.mean).toFixed(2)}x  p50 ${(ours.p50 / bare.p50).toFixed(2)}x  p99 ${(ours.p99 / bare.p99).toFixed(2)}x`,
  )
}

await emulator.stop()
