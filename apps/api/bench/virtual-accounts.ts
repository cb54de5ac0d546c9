/**
 * Issue 16's targets. On one stack of two service instances (one database), Align at
 * BENCH_COLD_LATENCY_MS (20) on every route:
 * 1. Added latency: for N fresh approved customers, sequentially, POST virtual-accounts (201, one
 *    Align create each), each preceded by one direct Align create timed from a separate process
 *    (prober.ts, as for the cold link). Target: p50 of (service answer) - (direct create p50) <= 5 ms.
 *    The first BENCH_VA_WARMUP requests are not measured (a running service's figure).
 * 2. Concurrency: BENCH_VA_CONCURRENT (50) identical requests at once for one fresh approved
 *    customer, alternating between the two instances. Target: one Align create.
 */
import { randomBytes } from 'node:crypto'
import { HttpClient } from './lib/http.js'
import { startProber } from './lib/processes.js'
import { createCustomers, type BenchCustomer } from './lib/seed.js'
import { startStack, type Stack } from './lib/stack.js'
import { latency, ms, round, roundLatency } from './lib/stats.js'
import type { BenchContext, SectionResult } from './lib/types.js'

const CREATE = 'POST /v0/customers/:id/virtual-account'
const MARGIN_MS = 5
const APPROVED = { status: 'approved', sub_status: 'kyc_form_submission_accepted' }

const body = () => ({
  sourceCurrency: 'usd',
  destinationToken: 'usdc',
  destinationNetwork: 'polygon',
  // Lower-case hex is a valid EVM address without a checksum; a fresh one per account.
  destinationAddress: `0x${randomBytes(20).toString('hex')}`,
})
const vaPath = (id: string) => `/v1/customers/${id}/virtual-accounts`

/** Customers approved at Align and synced, so the service's gate lets them open accounts. */
async function approvedCustomers(stack: Stack, n: number, label: string): Promise<BenchCustomer[]> {
  const customers = await createCustomers(stack.api, n, label)
  for (const c of customers) {
    stack.emulator.setKycState(c.alignCustomerId, APPROVED)
    await stack.api.expect([200], 'POST', `/v1/customers/${c.id}/kyc/sync`, {})
  }
  return customers
}

export async function benchVirtualAccounts(ctx: BenchContext): Promise<SectionResult> {
  const n = ctx.options.vaCustomers
  const warmup = ctx.options.vaWarmup
  const concurrent = ctx.options.vaConcurrent
  const latencyMs = ctx.options.coldLatencyMs
  const stack = await startStack(ctx, 'virtual accounts', { instances: 2 })
  const prober = await startProber(stack.emulator.url, stack.emulator.apiKey)
  const api = new HttpClient(stack.service.url, { authorization: `Bearer ${stack.token}` }, 1)
  try {
    ctx.progress(`virtual accounts: ${n + warmup + 1} approved customers (${warmup} for warm-up)`)
    const customers = await approvedCustomers(stack, n + warmup + 1, 'va')
    const crowd = customers.pop()!
    const direct = customers[0]!.alignCustomerId // its own accounts are opened directly only
    const timeDirect = async () => {
      const b = body()
      const r = await prober.time('POST', `/v0/customers/${direct}/virtual-account`, {
        source_currency: b.sourceCurrency,
        destination_token: b.destinationToken,
        destination_network: b.destinationNetwork,
        destination_address: b.destinationAddress,
      })
      if (r.status !== 201) throw new Error(`prober create: ${r.status} ${r.body.slice(0, 200)}`)
      return r.ms
    }
    stack.emulator.setLatency(latencyMs)

    const rtt: number[] = []
    const totals: number[] = []
    ctx.progress(
      `virtual accounts: ${warmup} warm-up, then ${n} measured, sequential, Align at ${latencyMs} ms`,
    )
    for (let i = 1; i < customers.length; i++) {
      const measured = i > warmup
      if (measured) rtt.push(await timeDirect())
      const t = performance.now()
      const r = await api.request('POST', vaPath(customers[i]!.id), body())
      const dt = performance.now() - t
      if (r.status !== 201)
        throw new Error(`virtual account: expected 201, got ${r.status}: ${r.body.slice(0, 300)}`)
      if (measured) totals.push(dt)
    }
    const direct50 = latency(rtt)
    const total = latency(totals)
    const added = total.p50 - direct50.p50

    ctx.progress(`virtual accounts: ${concurrent} identical requests at once over 2 instances`)
    const clients = stack.services.map(
      (s) => new HttpClient(s.url, { authorization: `Bearer ${stack.token}` }, concurrent),
    )
    const same = body()
    const before = stack.emulator.calls()[CREATE] ?? 0
    const replies = await Promise.all(
      Array.from({ length: concurrent }, (_, i) =>
        clients[i % clients.length]!.request('POST', vaPath(crowd.id), same),
      ),
    )
    for (const c of clients) c.close()
    const creates = (stack.emulator.calls()[CREATE] ?? 0) - before
    const statuses: Record<string, number> = {}
    for (const r of replies) statuses[r.status] = (statuses[r.status] ?? 0) + 1
    const ids = new Set(replies.map((r) => (r.status < 300 ? r.json<{ id: string }>().id : `<${r.status}>`)))
    const statusText = Object.entries(statuses)
      .map(([s, c]) => `${c}×${s}`)
      .join(', ')

    return {
      key: 'virtualAccounts',
      title: `10. Virtual accounts: ${n} sequential opens on 2 instances, Align at ${latencyMs} ms; ${concurrent} identical at once`,
      rows: [
        ['POST virtual-accounts (201)', `p50 ${ms(total.p50)}  p99 ${ms(total.p99)}`],
        [`direct ${CREATE}`, `p50 ${ms(direct50.p50)}  p99 ${ms(direct50.p99)}  (from a separate process)`],
        ['added over one direct create', `p50 ${ms(added)}`],
        [
          `${concurrent} identical at once`,
          `${statusText}; ${creates} Align create(s); ${ids.size} account id(s)`,
        ],
      ],
      targets: [
        {
          name: 'virtual account: added latency over one direct Align create, p50 <= 5 ms',
          target: `<= ${ms(MARGIN_MS)}`,
          measured: ms(added),
          pass: added <= MARGIN_MS,
        },
        {
          name: `${concurrent} concurrent identical virtual-account requests on 2 instances: 1 Align create`,
          target: '1',
          measured: `${creates} (${statusText})`,
          pass: creates === 1 && ids.size === 1 && replies.every((r) => r.status === 200 || r.status === 201),
        },
      ],
      data: {
        customers: n,
        warmupRequests: warmup,
        alignLatencyMs: latencyMs,
        total: roundLatency(total),
        directCreate: roundLatency(direct50),
        addedP50Ms: round(added),
        concurrent: { requests: concurrent, statuses, alignCreates: creates, accountIds: ids.size },
      },
    }
  } finally {
    api.close()
    prober.stop()
    await stack.stop()
  }
}
