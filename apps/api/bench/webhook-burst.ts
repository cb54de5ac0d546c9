/**
 * Target 4: a burst of BENCH_BURST_DELIVERIES (1000) signed `customer.kycs.updated` deliveries for
 * BENCH_BURST_CUSTOMERS (10) customers, on its own stack (Align at BENCH_LATENCY_MS). Each customer
 * is pending at Align for the first half of the burst and approved for the second half (set between
 * the halves, no webhook from the emulator), so the final state is only right if a read that
 * started after the last delivery arrived was applied. Sent over 50 keep-alive connections at once;
 * then the bench waits until every delivery is processed (at most 60 s) and checks the database:
 * one row per acknowledged delivery (0 lost), no body twice and no status change recorded twice in
 * a row (0 duplicated), every delivery processed, every customer approved; and counts the
 * `GET /v0/customers/:id` calls the emulator answered (target <= 30).
 */
import { signWebhookBody } from '@align-kyc/align-client'
import { connectClient } from './lib/processes.js'
import { HttpClient, pool } from './lib/http.js'
import { createCustomers } from './lib/seed.js'
import { startStack } from './lib/stack.js'
import { round } from './lib/stats.js'
import type { BenchContext, SectionResult } from './lib/types.js'

const GET = 'GET /v0/customers/:id'
const READS_TARGET = 30
const WAIT_MS = 60_000

export async function benchWebhookBurst(ctx: BenchContext): Promise<SectionResult> {
  const { burstDeliveries: n, burstCustomers: k, latencyMs } = ctx.options
  const stack = await startStack(ctx, 'webhook burst')
  const db = await connectClient(stack.databaseUrl)
  const sender = new HttpClient(stack.service.url, {}, 50)
  try {
    const customers = await createCustomers(stack.api, k, 'burst')
    stack.emulator.setLatency(latencyMs)
    const pending = { status: 'pending', sub_status: 'kyc_form_submission_started' }
    const approved = { status: 'approved', sub_status: 'kyc_form_submission_accepted' }
    for (const c of customers) stack.emulator.setKycState(c.alignCustomerId, pending)
    const base = Date.now() - 10 * 60_000 // in the past, one millisecond apart: every body unique
    const bodies = Array.from({ length: n }, (_, i) =>
      JSON.stringify({
        event_type: 'customer.kycs.updated',
        entity_id: customers[i % k]!.alignCustomerId,
        entity_type: 'customer',
        created_at: new Date(base + i).toISOString(),
      }),
    )
    const send = (part: string[]) =>
      pool(part, 50, async (body) => {
        const r = await sender.requestRaw('POST', '/v1/webhooks/align', body, {
          'content-type': 'application/json',
          'x-hmac-signature': signWebhookBody(body, stack.emulator.apiKey),
        })
        return r.status
      })
    ctx.progress(`webhook burst: ${n} deliveries for ${k} customers, 50 at a time`)
    stack.emulator.resetCalls()
    const started = performance.now()
    const half = Math.floor(n / 2)
    const statuses = await send(bodies.slice(0, half))
    for (const c of customers) stack.emulator.setKycState(c.alignCustomerId, approved)
    statuses.push(...(await send(bodies.slice(half))))
    const sentMs = performance.now() - started
    const acknowledged = statuses.filter((s) => s === 200).length

    let processed = 0
    while (performance.now() - started < WAIT_MS) {
      const { rows } = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'processed'`,
      )
      processed = Number(rows[0]!.n)
      if (processed >= acknowledged) break
      await new Promise((r) => setTimeout(r, 100))
    }
    const doneMs = performance.now() - started
    await new Promise((r) => setTimeout(r, 500)) // a read still in flight is counted too
    const reads = stack.emulator.calls()[GET] ?? 0

    const count = async (sql: string, params: unknown[] = []) =>
      Number((await db.query<{ n: string }>(sql, params)).rows[0]!.n)
    const rows = await count(`SELECT count(*) AS n FROM webhook_deliveries`)
    const distinctBodies = await count(`SELECT count(DISTINCT body_hash) AS n FROM webhook_deliveries`)
    const notProcessed = await count(
      `SELECT count(*) AS n FROM webhook_deliveries WHERE status <> 'processed' OR processed_at IS NULL`,
    )
    const ids = customers.map((c) => c.id)
    const notApproved = await count(
      `SELECT count(*) AS n FROM customers WHERE id = ANY($1::uuid[]) AND kyc_status <> 'approved'`,
      [ids],
    )
    // A change recorded twice: a history entry equal to the one before it, per customer.
    const repeatedHistory = await count(
      `SELECT count(*) AS n FROM (
         SELECT status, sub_status,
                lag(status) OVER w AS prev_status, lag(sub_status) OVER w AS prev_sub
           FROM kyc_status_history WHERE customer_id = ANY($1::uuid[])
         WINDOW w AS (PARTITION BY customer_id ORDER BY occurred_at, recorded_at)) h
        WHERE status = prev_status AND sub_status IS NOT DISTINCT FROM prev_sub`,
      [ids],
    )
    // Information only: a delivery processed before one received earlier for the same customer.
    const outOfOrder = await count(
      `SELECT count(*) AS n FROM (
         SELECT processed_at, lag(processed_at) OVER (PARTITION BY entity_id ORDER BY event_created_at) AS prev
           FROM webhook_deliveries) d
        WHERE processed_at < prev`,
    )
    const lost = Math.max(0, acknowledged - rows)
    const duplicated = rows - distinctBodies + repeatedHistory
    const applied = notProcessed === 0 && notApproved === 0 && acknowledged === n
    return {
      key: 'webhookBurst',
      title: `4. Webhook burst: ${n} deliveries for ${k} customers, Align at ${latencyMs} ms`,
      rows: [
        ['acknowledged (200)', `${acknowledged}/${n}, sent in ${(sentMs / 1000).toFixed(2)} s`],
        ['all processed after', `${(doneMs / 1000).toFixed(2)} s (${processed} processed)`],
        [`Align ${GET} calls`, String(reads)],
        ['rows / distinct bodies / not processed', `${rows} / ${distinctBodies} / ${notProcessed}`],
        ['customers not approved at the end', `${notApproved}/${k}`],
        ['history entries repeating the one before', String(repeatedHistory)],
        ['deliveries processed before an earlier one (information)', String(outOfOrder)],
      ],
      targets: [
        {
          name: `${n} deliveries for ${k} customers -> Align reads`,
          target: `<= ${READS_TARGET}`,
          measured: String(reads),
          pass: reads <= READS_TARGET && acknowledged === n,
        },
        {
          name: 'webhook burst: all applied, 0 lost, 0 duplicated',
          target: 'all applied, 0 / 0',
          measured: `${applied ? 'all applied' : `${notProcessed} not processed, ${notApproved} customers not approved`}, ${lost} / ${duplicated}`,
          pass: applied && lost === 0 && duplicated === 0,
        },
      ],
      data: {
        deliveries: n,
        customers: k,
        alignLatencyMs: latencyMs,
        acknowledged,
        sentMs: round(sentMs, 1),
        allProcessedMs: round(doneMs, 1),
        alignCustomerReads: reads,
        alignCalls: stack.emulator.calls(),
        rows,
        distinctBodies,
        notProcessed,
        customersNotApproved: notApproved,
        repeatedHistoryEntries: repeatedHistory,
        lost,
        duplicated,
        processedBeforeAnEarlierDelivery: outOfOrder,
      },
    }
  } finally {
    sender.close()
    await db.end()
    await stack.stop()
  }
}
