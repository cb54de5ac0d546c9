/**
 * Target 2: a cold link answers after one Align round trip, when Align's status changes as the link
 * is issued. On its own stack, with the emulator moving each customer to pending when a link is
 * issued (statusOnLinkCreation) and every Align route answering after BENCH_COLD_LATENCY_MS (20):
 * for N fresh customers, sequentially, POST kyc-sessions (cold). Before each measured request, the
 * same two emulator routes are timed directly with a bare keep-alive node:http client in a separate
 * process (prober.ts; the service's calls, too, come from another process than the emulator's).
 * Target: the cold link's p50 <= the direct create-session round trip's p50 + 5 ms. "Added" (total
 * minus the Align calls made during the request, each at its route's direct p50) says where the rest
 * goes. The first BENCH_COLD_WARMUP links are not measured: the figure is a running service's.
 */
import { HttpClient } from './lib/http.js'
import { startProber } from './lib/processes.js'
import { createCustomers, linkPath } from './lib/seed.js'
import { startStack } from './lib/stack.js'
import { latency, ms, round, roundLatency } from './lib/stats.js'
import type { BenchContext, SectionResult } from './lib/types.js'

const KYC = 'POST /v0/customers/:id/kycs'
const GET = 'GET /v0/customers/:id'
const MARGIN_MS = 5

export async function benchColdLink(ctx: BenchContext): Promise<SectionResult> {
  const n = ctx.options.coldCustomers
  const warmup = ctx.options.coldWarmup
  const latencyMs = ctx.options.coldLatencyMs
  const stack = await startStack(ctx, 'cold link', {
    emulator: { statusOnLinkCreation: { status: 'pending', sub_status: 'kyc_form_submission_started' } },
  })
  const prober = await startProber(stack.emulator.url, stack.emulator.apiKey)
  const api = new HttpClient(stack.service.url, { authorization: `Bearer ${stack.token}` }, 1)
  try {
    ctx.progress(`cold link: creating ${n + warmup} fresh customers (${warmup} for warm-up)`)
    const ids = (await createCustomers(stack.api, n + warmup, 'cold')).map((c) => c.id)
    // A customer only the emulator knows, for the direct round trips.
    const direct = new HttpClient(stack.emulator.url, { authorization: stack.emulator.apiKey }, 1)
    const alignId = (
      await direct.expect([200, 201], 'POST', '/v0/customers', {
        email: `bench-direct-${process.pid}@example.com`,
        type: 'individual',
        first_name: 'Direct',
        last_name: 'Probe',
      })
    ).json<{ customer_id: string }>().customer_id
    direct.close()
    stack.emulator.setLatency(latencyMs)
    const timeDirect = async (method: string, path: string) => {
      const r = await prober.time(method, path)
      if (r.status !== 200 && r.status !== 201)
        throw new Error(`prober ${method} ${path}: ${r.status} ${r.body.slice(0, 200)}`)
      return r.ms
    }

    const rtt = { [KYC]: [] as number[], [GET]: [] as number[] }
    const totals: number[] = []
    const callsPerRequest: Record<string, number>[] = []
    const answered = new Map<string, number>()
    ctx.progress(
      `cold link: ${warmup} warm-up requests, then ${n} measured, sequential, Align at ${latencyMs} ms`,
    )
    for (let i = 0; i < ids.length; i++) {
      const measured = i >= warmup
      if (measured) {
        rtt[KYC].push(await timeDirect('POST', `/v0/customers/${alignId}/kycs`))
        rtt[GET].push(await timeDirect('GET', `/v0/customers/${alignId}`))
      }
      const before = stack.emulator.calls()
      const t = performance.now()
      const r = await api.request('POST', linkPath(ids[i]!), {})
      const dt = performance.now() - t
      const after = stack.emulator.calls()
      if (r.status !== 201)
        throw new Error(`cold link for ${ids[i]}: expected 201, got ${r.status}: ${r.body.slice(0, 300)}`)
      if (!measured) {
        if ((i + 1) % 200 === 0) ctx.progress(`cold link: warm-up ${i + 1}/${warmup}`)
        continue
      }
      const status = r.json<{ status: string }>().status
      answered.set(status, (answered.get(status) ?? 0) + 1)
      totals.push(dt)
      const delta: Record<string, number> = {}
      for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0)) delta[k] = v - (before[k] ?? 0)
      callsPerRequest.push(delta)
      if ((i - warmup + 1) % 50 === 0) ctx.progress(`cold link: ${i - warmup + 1}/${n}`)
    }

    const rttKyc = latency(rtt[KYC])
    const rttGet = latency(rtt[GET])
    const total = latency(totals)
    const p50: Record<string, number> = { [KYC]: rttKyc.p50, [GET]: rttGet.p50 }
    const added = latency(
      totals.map(
        (t, i) => t - Object.entries(callsPerRequest[i]!).reduce((a, [k, c]) => a + c * (p50[k] ?? 0), 0),
      ),
    )
    const callShapes: Record<string, number> = {}
    for (const c of callsPerRequest) {
      const key =
        Object.entries(c)
          .sort()
          .map(([k, v]) => `${k}×${v}`)
          .join(' + ') || 'none'
      callShapes[key] = (callShapes[key] ?? 0) + 1
    }
    const over = total.p50 - rttKyc.p50
    return {
      key: 'coldLink',
      title: `2. Cold link: ${n} fresh customers, sequential, Align at ${latencyMs} ms on every route, status moving to pending as the link is issued`,
      rows: [
        ['cold link', `p50 ${ms(total.p50)}  p99 ${ms(total.p99)}`],
        [`direct ${KYC}`, `p50 ${ms(rttKyc.p50)}  p99 ${ms(rttKyc.p99)}  (from a separate process)`],
        [`direct ${GET}`, `p50 ${ms(rttGet.p50)}  p99 ${ms(rttGet.p99)}  (from a separate process)`],
        ['cold link p50 over one direct round trip', ms(over)],
        [
          'Align calls during each request',
          Object.entries(callShapes)
            .map(([k, v]) => `${v}× [${k}]`)
            .join('; '),
        ],
        ['added over those calls', `p50 ${ms(added.p50)}  p99 ${ms(added.p99)}`],
        ['status in the answers', [...answered].map(([k, v]) => `${v}× ${k}`).join(', ')],
      ],
      targets: [
        {
          name: 'cold link p50 <= one direct Align round trip + 5 ms',
          target: `<= ${ms(rttKyc.p50 + MARGIN_MS)}`,
          measured: `${ms(total.p50)} (${ms(over)} over the round trip)`,
          pass: total.p50 <= rttKyc.p50 + MARGIN_MS,
        },
      ],
      data: {
        customers: n,
        warmupRequests: warmup,
        alignLatencyMs: latencyMs,
        emulatorStatusOnLinkCreation: 'pending / kyc_form_submission_started',
        total: roundLatency(total),
        directRoundTrip: { [KYC]: roundLatency(rttKyc), [GET]: roundLatency(rttGet) },
        directRoundTripFrom: 'bench/prober.ts, a separate process (as the service is)',
        p50OverOneRoundTripMs: round(over),
        alignCallsDuringRequest: callShapes,
        addedOverAlignCalls: roundLatency(added),
        statusInAnswers: Object.fromEntries(answered),
      },
    }
  } finally {
    api.close()
    prober.stop()
    await stack.stop()
  }
}
