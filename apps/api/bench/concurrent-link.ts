/**
 * Target 3: N (100) concurrent link requests for one fresh customer, split between two service
 * instances on one database, make exactly one Align `POST /v0/customers/:id/kycs` call and all
 * answer with the same kycUrl.
 */
import { HttpClient } from './lib/http.js'
import { createCustomers, linkPath } from './lib/seed.js'
import { startStack } from './lib/stack.js'
import { latency, ms, roundLatency } from './lib/stats.js'
import type { BenchContext, SectionResult } from './lib/types.js'

const CREATE_KYC_ROUTE = 'POST /v0/customers/:id/kycs'

export async function benchConcurrentLink(ctx: BenchContext): Promise<SectionResult> {
  const n = ctx.options.concurrentRequests
  const stack = await startStack(ctx, 'concurrent link', { instances: 2 })
  try {
    const [customer] = await createCustomers(stack.api, 1, 'concurrent')
    stack.emulator.setLatency(ctx.options.latencyMs)
    // One socket per request, so the instances really see n requests at once.
    const clients = stack.services.map(
      (s) => new HttpClient(s.url, { authorization: `Bearer ${stack.token}` }, n),
    )
    ctx.progress(
      `concurrent link: ${n} simultaneous POST kyc-sessions for one fresh customer, over ${clients.length} instances`,
    )
    stack.emulator.resetCalls()
    const started = performance.now()
    const replies = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const t = performance.now()
        const r = await clients[i % clients.length]!.request('POST', linkPath(customer!.id), {})
        return { status: r.status, body: r.body, ms: performance.now() - t }
      }),
    )
    const wallMs = performance.now() - started
    for (const c of clients) c.close()

    const calls = stack.emulator.calls()
    const kycCalls = calls[CREATE_KYC_ROUTE] ?? 0
    const statuses: Record<string, number> = {}
    for (const r of replies) statuses[r.status] = (statuses[r.status] ?? 0) + 1
    const urls = new Set<string>()
    for (const r of replies) {
      try {
        urls.add((JSON.parse(r.body) as { kycUrl?: string }).kycUrl ?? '<none>')
      } catch {
        urls.add('<not json>')
      }
    }
    const all2xx = replies.every((r) => r.status === 200 || r.status === 201)
    const lat = latency(replies.map((r) => r.ms))
    const statusText = Object.entries(statuses)
      .map(([s, c]) => `${c}×${s}`)
      .join(', ')
    return {
      key: 'concurrentLink',
      title: `3. ${n} concurrent link requests for one fresh customer on ${clients.length} instances (one database), Align at ${ctx.options.latencyMs} ms`,
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
          name: `${n} concurrent requests on 2 instances -> Align link calls`,
          target: '== 1, one kycUrl, all 2xx',
          measured: `${kycCalls}, ${urls.size} kycUrl(s), ${statusText}`,
          pass: kycCalls === 1 && urls.size === 1 && all2xx && !urls.has('<none>') && !urls.has('<not json>'),
        },
      ],
      data: {
        requests: n,
        instances: clients.length,
        statuses,
        alignCreateKycCalls: kycCalls,
        alignCalls: calls,
        distinctKycUrls: urls.size,
        wallMs: Number(wallMs.toFixed(1)),
        latency: roundLatency(lat),
      },
    }
  } finally {
    await stack.stop()
  }
}
