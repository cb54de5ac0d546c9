/**
 * Figure 3: latency the service adds to a cold link over Align's own round trips. For N fresh
 * customers, sequentially: POST kyc-sessions (cold: Align createKycSession, then GET customer, each
 * with the emulator's fixed latency). Interleaved with every request, the same two emulator routes
 * are timed directly with a bare keep-alive node:http client in a separate process (prober.ts: the
 * service's calls, too, come from another process than the emulator's); added = total − Σ over the
 * Align calls the request made (counted with emulator.calls()) of that route's median direct round
 * trip. The same routes timed from the bench process itself (the emulator's own process, so no
 * process wake-up on either side) are reported next to it, with what "added" would be against them.
 */
import { HttpClient } from './lib/http.js'
import { startProber } from './lib/processes.js'
import { createCustomers, linkPath } from './lib/seed.js'
import { latency, ms, round, roundLatency } from './lib/stats.js'
import type { BenchContext, SectionResult } from './lib/types.js'

const KYC = 'POST /v0/customers/:id/kycs'
const GET = 'GET /v0/customers/:id'

export async function benchColdLink(ctx: BenchContext): Promise<SectionResult> {
  const n = ctx.options.coldCustomers
  const warmup = ctx.options.coldWarmup
  ctx.progress(`cold link: creating ${n + warmup} fresh customers (${warmup} for warm-up)`)
  const ids = await createCustomers(ctx, n + warmup, 'cold')

  // A customer only the emulator knows, for the direct round trips.
  const direct = new HttpClient(ctx.emulator.url, { authorization: ctx.emulator.apiKey }, 1)
  const alignId = (
    await direct.expect([200, 201], 'POST', '/v0/customers', {
      email: `bench-direct-${process.pid}@example.com`,
      type: 'individual',
      first_name: 'Direct',
      last_name: 'Probe',
    })
  ).json<{ customer_id: string }>().customer_id
  const timeInProcess = async (method: string, path: string) => {
    const t = performance.now()
    await direct.expect([200, 201], method, path)
    return performance.now() - t
  }
  const prober = await startProber(ctx.emulator.url, ctx.emulator.apiKey)
  const timeDirect = async (method: string, path: string) => {
    const r = await prober.time(method, path)
    if (r.status !== 200 && r.status !== 201)
      throw new Error(`prober ${method} ${path}: ${r.status} ${r.body.slice(0, 200)}`)
    return r.ms
  }
  const api = new HttpClient(ctx.service.url, { authorization: `Bearer ${ctx.token}` }, 1)

  const rtt = { [KYC]: [] as number[], [GET]: [] as number[] }
  const rttInProcess = { [KYC]: [] as number[], [GET]: [] as number[] }
  const totals: number[] = []
  const callsPerRequest: Record<string, number>[] = []
  const countAll = () => ctx.emulator.calls()

  ctx.progress(`cold link: ${warmup} warm-up requests, then ${n} measured, sequential`)
  for (let i = 0; i < ids.length; i++) {
    const measured = i >= warmup
    const a = await timeDirect('POST', `/v0/customers/${alignId}/kycs`)
    const b = await timeDirect('GET', `/v0/customers/${alignId}`)
    const c = await timeInProcess('POST', `/v0/customers/${alignId}/kycs`)
    const d = await timeInProcess('GET', `/v0/customers/${alignId}`)
    const before = countAll()
    const t = performance.now()
    const r = await api.request('POST', linkPath(ids[i]!), {})
    const dt = performance.now() - t
    const after = countAll()
    if (r.status !== 201)
      throw new Error(`cold link for ${ids[i]}: expected 201, got ${r.status}: ${r.body.slice(0, 300)}`)
    if (!measured) {
      if ((i + 1) % 200 === 0) ctx.progress(`cold link: warm-up ${i + 1}/${warmup}`)
      continue
    }
    rtt[KYC].push(a)
    rtt[GET].push(b)
    rttInProcess[KYC].push(c)
    rttInProcess[GET].push(d)
    totals.push(dt)
    const delta: Record<string, number> = {}
    for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0)) delta[k] = v - (before[k] ?? 0)
    callsPerRequest.push(delta)
    if ((i - warmup + 1) % 50 === 0) ctx.progress(`cold link: ${i - warmup + 1}/${n}`)
  }
  direct.close()
  api.close()
  prober.stop()

  const rttKyc = latency(rtt[KYC])
  const rttGet = latency(rtt[GET])
  const inKyc = latency(rttInProcess[KYC])
  const inGet = latency(rttInProcess[GET])
  const unknownRoutes = new Set<string>()
  const addedOver = (rttP50: Record<string, number>) =>
    totals.map((total, i) => {
      let align = 0
      for (const [route, count] of Object.entries(callsPerRequest[i]!)) {
        if (!(route in rttP50)) unknownRoutes.add(route)
        align += count * (rttP50[route] ?? 0)
      }
      return total - align
    })
  const total = latency(totals)
  const added = addedOver({ [KYC]: rttKyc.p50, [GET]: rttGet.p50 })
  const add = latency(added)
  // Whether the run reached a steady state: the median of each quarter of the measured requests, in order.
  const quarters = [0, 1, 2, 3].map((q) =>
    latency(added.slice(Math.floor((q * added.length) / 4), Math.floor(((q + 1) * added.length) / 4))),
  )
  const addInProcess = latency(addedOver({ [KYC]: inKyc.p50, [GET]: inGet.p50 }))
  const callShapes: Record<string, number> = {}
  for (const c of callsPerRequest) {
    const key =
      Object.entries(c)
        .sort()
        .map(([k, v]) => `${k}×${v}`)
        .join(' + ') || 'none'
    callShapes[key] = (callShapes[key] ?? 0) + 1
  }
  const shapeText = Object.entries(callShapes)
    .map(([k, v]) => `${v}× [${k}]`)
    .join('; ')
  return {
    key: 'coldLink',
    title: `3. Cold link: ${n} fresh customers, sequential, emulator latency ${ctx.latencyMs} ms per Align route`,
    rows: [
      ['total per request', `p50 ${ms(total.p50)}  p99 ${ms(total.p99)}`],
      [`direct ${KYC}`, `p50 ${ms(rttKyc.p50)}  p99 ${ms(rttKyc.p99)}  (from a separate process)`],
      [`direct ${GET}`, `p50 ${ms(rttGet.p50)}  p99 ${ms(rttGet.p99)}  (from a separate process)`],
      ['Align calls per request', shapeText],
      ['added by the service', `p50 ${ms(add.p50)}  p99 ${ms(add.p99)}  (mean ${ms(add.mean)})`],
      ['added p50 by quarter of the run', quarters.map((l) => ms(l.p50)).join(' / ')],
      [
        "for comparison: direct from the emulator's process",
        `${KYC} p50 ${ms(inKyc.p50)}, ${GET} p50 ${ms(inGet.p50)}; added over these: p50 ${ms(addInProcess.p50)}`,
      ],
      ...(unknownRoutes.size
        ? [['unmeasured Align routes (counted as 0)', [...unknownRoutes].join(', ')] as [string, string]]
        : []),
    ],
    targets: [
      {
        name: 'cold link added latency p50',
        target: '<= 5.00 ms',
        measured: `${ms(add.p50)} (p99 ${ms(add.p99)})`,
        pass: add.p50 <= 5,
      },
    ],
    data: {
      customers: n,
      warmupRequests: warmup,
      emulatorLatencyMs: ctx.latencyMs,
      total: roundLatency(total),
      directRoundTrip: { [KYC]: roundLatency(rttKyc), [GET]: roundLatency(rttGet) },
      directRoundTripFrom: 'bench/prober.ts, a separate process (as the service is)',
      directRoundTripInBenchProcess: { [KYC]: roundLatency(inKyc), [GET]: roundLatency(inGet) },
      addedOverInBenchProcessRoundTrips: roundLatency(addInProcess),
      alignCallsPerRequest: callShapes,
      subtractedPerCall: { [KYC]: round(rttKyc.p50), [GET]: round(rttGet.p50) },
      added: roundLatency(add),
      addedP50ByQuarter: quarters.map((l) => round(l.p50)),
    },
  }
}
