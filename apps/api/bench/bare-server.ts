/**
 * The baseline for the warm-link figure: `POST /v1/customers/:id/kyc-sessions` on bare node:http +
 * one pg.Pool (same size as the service's, 20), doing what the service's warm path does and nothing
 * more: bearer-token check (SHA-256 + timingSafeEqual, as the service does), JSON body parse, one
 * indexed read of the customer joined with its live session, the reuse decision, a JSON answer.
 * Runs as its own process, like the service, so both share the machine with autocannon the same way.
 *
 * Env: DATABASE_URL, API_TOKEN, PORT, HOST, POOL_MAX (default 20), RENEWAL_MARGIN_MS (default 5 min).
 */
import { hash, timingSafeEqual } from 'node:crypto'
import http from 'node:http'
import pg from 'pg'

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.POOL_MAX ?? 20),
})
pool.on('error', () => undefined) // an idle connection lost: the next query opens another
const token = hash('sha256', process.env.API_TOKEN ?? '', 'buffer')
const margin = Number(process.env.RENEWAL_MARGIN_MS ?? 5 * 60_000)
const ROUTE =
  /^\/v1\/customers\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/kyc-sessions$/i

// The service's warm read (customers by id + its live session, one statement), prepared once per
// connection as the service's is, so the comparison is like for like.
const WARM_READ = `
  SELECT c.kyc_status::text AS status, c.kyc_sub_status::text AS sub_status,
         s.url, s.expires_at
    FROM customers c
    LEFT JOIN kyc_sessions s ON s.live_customer_id = c.id
   WHERE c.id = $1::uuid`

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
  })
  res.end(json)
}

function authorized(header: string | undefined): boolean {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
  return !!m && timingSafeEqual(hash('sha256', m[1]!, 'buffer'), token)
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') return send(res, 200, { status: 'ok' })
  const m = req.method === 'POST' ? ROUTE.exec(req.url ?? '') : null
  if (!m) return send(res, 404, { code: 'not_found' })
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    void (async () => {
      if (!authorized(req.headers.authorization)) return send(res, 401, { code: 'unauthorized' })
      let body: { forceRenew?: boolean }
      try {
        body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {}
      } catch {
        return send(res, 400, { code: 'malformed_json' })
      }
      const { rows } = await pool.query({ name: 'warm_read', text: WARM_READ, values: [m[1]] })
      const row = rows[0]
      if (!row) return send(res, 404, { code: 'customer_not_found' })
      if (row.status === 'approved') return send(res, 409, { code: 'kyc_already_approved' })
      if (!row.url || body.forceRenew || row.expires_at.getTime() - Date.now() <= margin) {
        return send(res, 501, { code: 'cold_path_not_in_baseline' })
      }
      send(res, 200, {
        kycUrl: row.url,
        expiresAt: row.expires_at.toISOString(),
        reused: true,
        status: row.status,
        subStatus: row.sub_status,
      })
    })().catch((e: unknown) => send(res, 500, { code: 'internal', detail: String(e) }))
  })
})

server.keepAliveTimeout = 72_000
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const a = server.address()
  process.stdout.write(`bare server listening on ${typeof a === 'object' && a ? a.port : a}\n`)
})

const shutdown = () => server.close(() => void pool.end().then(() => process.exit(0)))
process.once('SIGTERM', shutdown)
process.once('SIGINT', shutdown)
