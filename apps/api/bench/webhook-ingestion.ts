/**
 * Figure 4: webhook ingestion. Sustained signed `customer.kycs.updated` deliveries per second that
 * the service acknowledges (POST /v1/webhooks/align: HMAC check over the raw bytes, parse, one
 * INSERT ... ON CONFLICT DO NOTHING that commits before the 200), with p99 latency, against a bare
 * node:http + pg baseline doing the same work (same HMAC check, same parse, the same INSERT
 * statement) in the same run. Every body is unique; afterwards the rows are counted: every 200 must
 * have exactly one row (0 lost) and no body more than one (0 duplicated, also the unique index).
 *
 * The deliveries name customers that are not recorded, so both sides store them parked
 * (next_attempt_at NULL) and the service's worker does no Align work during the measurement:
 * the figure is ingestion alone.
 *
 * This file is also the baseline server: run with WEBHOOK_BARE_SERVER=1 (DATABASE_URL, SECRET, PORT).
 */
import { createHmac, hash, randomUUID, timingSafeEqual } from 'node:crypto'
import http from 'node:http'
import { fileURLToPath } from 'node:url'
import { runCannon } from './lib/cannon.js'
import pg from 'pg'
import { ChildServer } from './lib/processes.js'
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

type Run = { ok: number; other: number; errors: number; seconds: number; samples: number[]; sent: number }

/** Drives `url` with unique signed bodies whose entity_id starts with `tag`. */
async function cannon(
  url: string,
  secret: string,
  tag: string,
  connections: number,
  seconds: number,
): Promise<Run> {
  let n = 0
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
            const body = JSON.stringify({
              event_type: 'customer.kycs.updated',
              entity_id: `${tag}-${n++}`,
              entity_type: 'customer',
              created_at: new Date().toISOString(),
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
  return { ...r, sent: n }
}

export async function benchWebhookIngestion(ctx: BenchContext): Promise<SectionResult> {
  const { connections, durationSec } = ctx.options
  const rounds = Math.max(1, ctx.options.rounds)
  const secret = ctx.emulator.apiKey // the service's webhook secret (ALIGN_WEBHOOK_SECRET defaults to the key)
  const bare = await ChildServer.start(
    'bare webhook server',
    ['--import', 'tsx', fileURLToPath(import.meta.url)],
    { WEBHOOK_BARE_SERVER: '1', DATABASE_URL: ctx.databaseUrl, SECRET: secret },
    '/health',
  )
  const db = new pg.Client({ connectionString: ctx.databaseUrl })
  await db.connect()
  const runTag = `bench-${process.pid}-${Date.now().toString(36)}`
  const sides = { service: ctx.service.url, bare: bare.url } as const
  const results: Record<keyof typeof sides, { runs: Run[]; tags: string[] }> = {
    service: { runs: [], tags: [] },
    bare: { runs: [], tags: [] },
  }
  try {
    for (const [name, url] of Object.entries(sides)) {
      ctx.progress(`webhook ingestion: warm-up ${name}`)
      await cannon(url, secret, `${runTag}-warm-${name}`, connections, 2)
    }
    for (let r = 0; r < rounds; r++) {
      for (const [name, url] of Object.entries(sides) as [keyof typeof sides, string][]) {
        const tag = `${runTag}-${name}-${r}`
        ctx.progress(
          `webhook ingestion: round ${r + 1}/${rounds}, ${name}, ${connections} connections, ${durationSec}s`,
        )
        results[name].runs.push(await cannon(url, secret, tag, connections, durationSec))
        results[name].tags.push(tag)
      }
    }
    const summarize = async (name: keyof typeof sides) => {
      const { runs, tags } = results[name]
      const ok = runs.reduce((a, x) => a + x.ok, 0)
      let rows = 0
      let distinctBodies = 0
      for (const tag of tags) {
        const q = await db.query<{ rows: string; bodies: string }>(
          `SELECT count(*) AS rows, count(DISTINCT body_hash) AS bodies FROM webhook_deliveries WHERE entity_id LIKE $1`,
          [`${tag}-%`],
        )
        rows += Number(q.rows[0]!.rows)
        distinctBodies += Number(q.rows[0]!.bodies)
      }
      const rps = runs.map((x) => x.ok / x.seconds).sort((a, b) => a - b)
      return {
        reqPerSec: rps[Math.floor(rps.length / 2)]!,
        lat: latency(runs.flatMap((x) => x.samples)),
        ok,
        other: runs.reduce((a, x) => a + x.other, 0),
        errors: runs.reduce((a, x) => a + x.errors, 0),
        lost: Math.max(0, ok - rows),
        duplicated: rows - distinctBodies,
        rows,
      }
    }
    const s = await summarize('service')
    const b = await summarize('bare')
    const ratio = s.reqPerSec / b.reqPerSec
    const clean = s.lost === 0 && s.duplicated === 0 && s.other === 0
    return {
      key: 'webhookIngestion',
      title: '4. Webhook ingestion (signed deliveries acknowledged per second)',
      rows: [
        ['service', `${s.reqPerSec.toFixed(0)} deliveries/s, p50 ${ms(s.lat.p50)}, p99 ${ms(s.lat.p99)}`],
        [
          'bare node:http + pg',
          `${b.reqPerSec.toFixed(0)} deliveries/s, p50 ${ms(b.lat.p50)}, p99 ${ms(b.lat.p99)}`,
        ],
        ['ratio (service/bare)', ratio.toFixed(2)],
        ['acknowledged / stored rows', `service ${s.ok}/${s.rows}, bare ${b.ok}/${b.rows}`],
        ['lost / duplicated', `service ${s.lost}/${s.duplicated}, bare ${b.lost}/${b.duplicated}`],
        ['non-200 / errors', `service ${s.other}/${s.errors}, bare ${b.other}/${b.errors}`],
      ],
      targets: [
        {
          name: 'webhook ingestion throughput ratio (service/bare)',
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
        service: {
          reqPerSec: round(s.reqPerSec, 1),
          ...roundLatency(s.lat),
          ok: s.ok,
          rows: s.rows,
          lost: s.lost,
          duplicated: s.duplicated,
          non200: s.other,
          errors: s.errors,
        },
        bare: {
          reqPerSec: round(b.reqPerSec, 1),
          ...roundLatency(b.lat),
          ok: b.ok,
          rows: b.rows,
          lost: b.lost,
          duplicated: b.duplicated,
          non200: b.other,
          errors: b.errors,
        },
        ratio: round(ratio),
      },
    }
  } finally {
    await db.end()
    await bare.stop()
  }
}
