/**
 * Target 5: webhook ingestion while the worker processes what arrives. Sustained signed
 * `customer.kycs.updated` deliveries per second that the service acknowledges (POST
 * /v1/webhooks/align: HMAC check over the raw bytes, parse, one INSERT that commits before the 200),
 * for BENCH_WEBHOOK_CUSTOMERS recorded customers, so the service's worker reads each customer from
 * Align (at BENCH_LATENCY_MS) and applies it while deliveries keep arriving; against a bare node:http
 * + pg baseline doing the ingestion work alone (same HMAC check, same parse, the same INSERT) on
 * the same database. Every body is unique (created_at one millisecond apart); afterwards the rows
 * are counted: every 200 must have exactly one row (0 lost) and no body more than one (0
 * duplicated). The bare rounds run first (their deliveries name customers that are not recorded, so
 * they stay parked and give the worker nothing to do), then the service's: so the worker's backlog
 * never runs during the baseline.
 *
 * This file is also the baseline server: run with WEBHOOK_BARE_SERVER=1 (DATABASE_URL, SECRET, PORT).
 */
import { createHmac, hash, randomUUID, timingSafeEqual } from 'node:crypto'
import http from 'node:http'
import { fileURLToPath } from 'node:url'
import { runCannon } from './lib/cannon.js'
import pg from 'pg'
import { ChildServer, connectClient } from './lib/processes.js'
import { createCustomers } from './lib/seed.js'
import { startStack } from './lib/stack.js'
import { latency, ms, round, roundLatency } from './lib/stats.js'
import type { BenchContext, SectionResult } from './lib/types.js'

// The service's store() statement (webhooks.repository.ts), verbatim in effect.
const INSERT = `
  INSERT INTO webhook_deliveries
    (id, body_hash, raw_body, event_type, entity_type, entity_id, event_created_at, status, next_attempt_at, outcome, processed_at)
  SELECT $1::uuid, $2, $3, $4, $5, $6, $7::timestamptz, 'pending'::"DeliveryStatus",
         CASE WHEN EXISTS (SELECT 1 FROM customers WHERE align_customer_id = $6) THEN now() ELSE NULL END, NULL, NULL
  ON CONFLICT (body_hash) DO NOTHING
  RETURNING id`

function bareServer(): void {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 })
  pool.on('error', () => undefined) // an idle connection lost: the next query opens another
  const secret = process.env.SECRET ?? ''
  const send = (res: http.ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  }
  http
    .createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/health') return send(res, 200, '{"status":"ok"}')
      if (req.method !== 'POST' || req.url !== '/v1/webhooks/align') return send(res, 404, '{}')
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        void (async () => {
          const raw = Buffer.concat(chunks)
          const sig = req.headers['x-hmac-signature']
          const expected = createHmac('sha256', secret).update(raw).digest()
          if (
            typeof sig !== 'string' ||
            !/^[0-9a-f]{64}$/i.test(sig) ||
            !timingSafeEqual(expected, Buffer.from(sig, 'hex'))
          )
            return send(res, 401, '{"code":"invalid_signature"}')
          let e: Record<string, string>
          try {
            e = JSON.parse(raw.toString('utf8'))
          } catch {
            return send(res, 400, '{"code":"invalid_webhook"}')
          }
          if (!e.event_type || !e.entity_id || Number.isNaN(Date.parse(e.created_at ?? '')))
            return send(res, 400, '{"code":"invalid_webhook"}')
          const bodyHash = hash('sha256', raw, 'hex')
          const r = await pool.query(INSERT, [
            randomUUID(),
            bodyHash,
            raw.toString('utf8'),
            e.event_type,
            e.entity_type ?? null,
            e.entity_id,
            e.created_at,
          ])
          send(res, 200, JSON.stringify({ received: true, duplicate: r.rowCount === 0 }))
        })().catch(() => send(res, 500, '{}'))
      })
    })
    .listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1')
}

if (process.env.WEBHOOK_BARE_SERVER === '1') bareServer()

type Run = {
  ok: number
  other: number
  errors: number
  seconds: number
  samples: number[]
  first: number
  next: number
}

/** created_at of every delivery: one millisecond apart from here, in the past, unique in the run. */
const BASE = Date.now() - 60 * 60_000
let seq = 0

/** Drives `url` with unique signed bodies naming `entity(n)`. */
async function cannon(
  url: string,
  secret: string,
  entity: (n: number) => string,
  connections: number,
  seconds: number,
): Promise<Run> {
  const first = seq
  const r = await runCannon(
    {
      url: `${url}/v1/webhooks/align`,
      connections,
      pipelining: 1,
      duration: seconds,
      requests: [
        {
          method: 'POST',
          setupRequest: (req) => {
            const n = seq++
            const body = JSON.stringify({
              event_type: 'customer.kycs.updated',
              entity_id: entity(n),
              entity_type: 'customer',
              created_at: new Date(BASE + n).toISOString(),
            })
            return {
              ...req,
              body,
              headers: {
                'content-type': 'application/json',
                'x-hmac-signature': createHmac('sha256', secret).update(body).digest('hex'),
              },
            }
          },
        },
      ],
    },
    (status) => status === 200,
  )
  return { ...r, first, next: seq }
}

export async function benchWebhookIngestion(ctx: BenchContext): Promise<SectionResult> {
  const { connections, durationSec, latencyMs, webhookCustomers } = ctx.options
  const rounds = Math.max(1, ctx.options.rounds)
  const stack = await startStack(ctx, 'webhook ingestion')
  let bare: ChildServer | null = null
  const db = await connectClient(stack.databaseUrl)
  try {
    const alignIds = (await createCustomers(stack.api, webhookCustomers, 'webhook')).map(
      (c) => c.alignCustomerId,
    )
    stack.emulator.setLatency(latencyMs)
    const secret = stack.emulator.apiKey // the service's webhook secret (ALIGN_WEBHOOK_SECRET defaults to the key)
    bare = await ChildServer.start(
      'bare webhook server',
      ['--import', 'tsx', fileURLToPath(import.meta.url)],
      { WEBHOOK_BARE_SERVER: '1', DATABASE_URL: stack.databaseUrl, SECRET: secret },
      '/health',
    )
    const runTag = `bench-unrecorded-${process.pid}-${Date.now().toString(36)}`
    const entity = {
      bare: (n: number) => `${runTag}-${n}`,
      service: (n: number) => alignIds[n % alignIds.length]!,
    }
    const urls = { bare: bare.url, service: stack.service.url }
    const runs: Record<'bare' | 'service', Run[]> = { bare: [], service: [] }
    for (const side of ['bare', 'service'] as const) {
      ctx.progress(`webhook ingestion: warm-up ${side}`)
      await cannon(urls[side], secret, entity[side], connections, 2)
      for (let r = 0; r < rounds; r++) {
        ctx.progress(
          `webhook ingestion: ${side} round ${r + 1}/${rounds}, ${connections} connections, ${durationSec} s`,
        )
        runs[side].push(await cannon(urls[side], secret, entity[side], connections, durationSec))
      }
    }
    const ownRows = async (side: 'bare' | 'service', run: Run) => {
      const q = await db.query<{ rows: string; bodies: string }>(
        `SELECT count(*) AS rows, count(DISTINCT body_hash) AS bodies FROM webhook_deliveries
          WHERE event_created_at >= $1::timestamptz AND event_created_at < $2::timestamptz
            AND (entity_id LIKE $3) = $4`,
        [new Date(BASE + run.first), new Date(BASE + run.next), `${runTag}-%`, side === 'bare'],
      )
      return { rows: Number(q.rows[0]!.rows), bodies: Number(q.rows[0]!.bodies) }
    }
    const backlog = async () =>
      Number(
        (
          await db.query<{ n: string }>(
            `SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at IS NOT NULL`,
          )
        ).rows[0]!.n,
      )
    const backlogAtEnd = await backlog()
    const processedAtEnd = Number(
      (
        await db.query<{ n: string }>(
          `SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'processed'`,
        )
      ).rows[0]!.n,
    )
    const summarize = async (side: 'bare' | 'service') => {
      let rows = 0
      let bodies = 0
      for (const run of runs[side]) {
        const c = await ownRows(side, run)
        rows += c.rows
        bodies += c.bodies
      }
      const rs = runs[side]
      const ok = rs.reduce((a, x) => a + x.ok, 0)
      const rps = rs.map((x) => x.ok / x.seconds).sort((a, b) => a - b)
      return {
        reqPerSec: rps[Math.floor(rps.length / 2)]!,
        roundsReqPerSec: rs.map((x) => x.ok / x.seconds),
        lat: latency(rs.flatMap((x) => x.samples)),
        ok,
        other: rs.reduce((a, x) => a + x.other, 0),
        errors: rs.reduce((a, x) => a + x.errors, 0),
        lost: Math.max(0, ok - rows),
        duplicated: rows - bodies,
        rows,
      }
    }
    const s = await summarize('service')
    const b = await summarize('bare')
    const ratio = s.reqPerSec / b.reqPerSec
    const clean = s.lost === 0 && s.duplicated === 0 && s.other === 0
    const sideData = (x: typeof s) => ({
      reqPerSec: round(x.reqPerSec, 1),
      roundsReqPerSec: x.roundsReqPerSec.map((v) => round(v, 1)),
      ...roundLatency(x.lat),
      ok: x.ok,
      rows: x.rows,
      lost: x.lost,
      duplicated: x.duplicated,
      non200: x.other,
      errors: x.errors,
    })
    return {
      key: 'webhookIngestion',
      title: `5. Webhook ingestion with the worker on (${webhookCustomers} recorded customers, Align at ${latencyMs} ms), ${rounds}×${durationSec} s per side, ${connections} connections`,
      rows: [
        [
          'service',
          `${s.reqPerSec.toFixed(0)} deliveries/s (median round), p50 ${ms(s.lat.p50)}, p99 ${ms(s.lat.p99)}`,
        ],
        [
          'bare node:http + pg (ingestion only)',
          `${b.reqPerSec.toFixed(0)} deliveries/s (median round), p50 ${ms(b.lat.p50)}, p99 ${ms(b.lat.p99)}`,
        ],
        ['ratio (service/bare)', ratio.toFixed(2)],
        ['acknowledged / stored rows', `service ${s.ok}/${s.rows}, bare ${b.ok}/${b.rows}`],
        ['lost / duplicated', `service ${s.lost}/${s.duplicated}, bare ${b.lost}/${b.duplicated}`],
        ['non-200 / errors', `service ${s.other}/${s.errors}, bare ${b.other}/${b.errors}`],
        ['worker: processed / still due when the last round ended', `${processedAtEnd} / ${backlogAtEnd}`],
        [
          'Align calls',
          Object.entries(stack.emulator.calls())
            .map(([k, v]) => `${k}: ${v}`)
            .join('; '),
        ],
      ],
      targets: [
        {
          name: 'webhook ingestion with the worker on, ratio (service/bare)',
          target: '>= 0.50',
          measured: ratio.toFixed(2),
          pass: ratio >= 0.5 && clean,
        },
        {
          name: 'webhook ingestion: 0 lost, 0 duplicated',
          target: '0 / 0',
          measured: `${s.lost} / ${s.duplicated}`,
          pass: clean,
        },
      ],
      data: {
        connections,
        durationSecPerRound: durationSec,
        rounds,
        order: 'bare rounds first, then the service rounds',
        customers: webhookCustomers,
        alignLatencyMs: latencyMs,
        service: sideData(s),
        bare: sideData(b),
        ratio: round(ratio),
        workerProcessedAtEnd: processedAtEnd,
        workerDueAtEnd: backlogAtEnd,
        alignCalls: stack.emulator.calls(),
      },
    }
  } finally {
    await db.end()
    await bare?.stop()
    await stack.stop()
  }
}
