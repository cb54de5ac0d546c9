/**
 * Figure 2: N (100) concurrent link requests for one fresh customer (no link yet) must make exactly
 * one Align `POST /v0/customers/:id/kycs` call and all answer with the same kycUrl.
 */
import { HttpClient } from './lib/http.js'
import { createCustomers, linkPath } from './lib/seed.js'
import { latency, ms, roundLatency } from './lib/stats.js'
import type { BenchContext, SectionResult } from './lib/types.js'

export const CREATE_KYC_ROUTE = 'POST /v0/customers/:id/kycs'

export async function benchConcurrentLink(ctx: BenchContext): Promise<SectionResult> {
  const n = ctx.options.concurrentRequests
  const [id] = await createCustomers(ctx, 1, 'concurrent')
  // One socket per request, so the service really sees n requests at once.
  const client = new HttpClient(ctx.service.url, { authorization: `Bearer ${ctx.token}` }, n)
  ctx.progress(`concurrent link: ${n} simultaneous POST kyc-sessions for one fresh customer`)
  ctx.emulator.resetCalls()
  const started = performance.now()
  const replies = await Promise.all(
    Array.from({ length: n }, async () => {
      const t = performance.now()
      const r = await client.request('POST', linkPath(id!), {})
      return { status: r.status, body: r.body, ms: performance.now() - t }
    }),
  )
  const wallMs = performance.now() - started
  client.close()

  const calls = ctx.emulator.calls()
  const kycCalls = calls[CREATE_KYC_ROUTE] ?? 0
  const statuses: Record<string, number> = {}
  for (const r of replies) statuses[r.status] = (statuses[r.status] ?? 0) + 1
  const urls = new Set<string>()
  for (const r of replies) {
    try {
      urls.add(JSON.parse(r.body).kycUrl ?? '<none>')
    } catch {
      urls.add('<not json>')
    }
  }
  const all2xx = replies.every((r) => r.status === 200 || r.status === 201)
  const lat = latency(replies.map((r) => r.ms))
  const statusText = Object.entries(statuses)
    .map(([s, c]) => `${c}×${s}`)
    .join(', ')
  ctx.progress(
    `concurrent link: ${statusText}; ${kycCalls} Align kycs call(s); ${urls.size} distinct kycUrl(s) in ${wallMs.toFixed(0)} ms`,
  )
  return {
    key: 'concurrentLink',
    title: `2. ${n} concurrent link requests for one fresh customer`,
    rows: [
      ['responses', statusText],
      [`Align '${CREATE_KYC_ROUTE}' calls`, String(kycCalls)],
      ['distinct kycUrls', String(urls.size)],
      [
        'all Align calls',
        Object.entries(calls)
          .map(([k, v]) => `${k}: ${v}`)
          .join('; ') || 'none',
      ],
      [
        'latency per request',
        `p50 ${ms(lat.p50)}  p99 ${ms(lat.p99)}  (all done in ${wallMs.toFixed(0)} ms)`,
      ],
    ],
    targets: [
      {
        name: `${n} concurrent requests -> Align kycs calls`,
        target: '== 1',
        measured: String(kycCalls),
        pass: kycCalls === 1,
      },
      {
        name: `${n} concurrent requests -> one kycUrl, all 2xx`,
        target: '1 distinct, all 200/201',
        measured: `${urls.size} distinct, ${statusText}`,
        pass: urls.size === 1 && all2xx && !urls.has('<none>') && !urls.has('<not json>'),
      },
    ],
    data: {
      requests: n,
      statuses,
      alignCreateKycCalls: kycCalls,
      alignCalls: calls,
      distinctKycUrls: urls.size,
      wallMs: Number(wallMs.toFixed(1)),
      latency: roundLatency(lat),
    },
  }
}
