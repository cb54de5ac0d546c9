/**
 * Target 9: the hot statements at scale. Two databases, migrated by the service's own CLI and seeded
 * with one INSERT ... SELECT generate_series statement per table, then ANALYZEd: BENCH_SCALE_BASE
 * (1000) and BENCH_SCALE_CUSTOMERS (1M) customers, one live session each, three history rows each.
 * Each operation runs through the service's own repository code (src/, on a pg pool and Prisma
 * client like the service's), sequentially, BENCH_SCALE_SAMPLES times after 20 unmeasured calls,
 * for random non-approved customers:
 *   - warm link: KycRepository.findLinkState (the link request's warm read)
 *   - GET kyc: KycRepository.view (customer + live session + history)
 *   - list by status, first page: CustomersRepository.page({ status: 'pending', limit: 20 })
 *   - list by status, deep page: the same after a cursor in the oldest tenth of the pending customers
 *   - reconciler claim: WebhooksRepository.claimStaleCustomers(now - 15 min, 50). It writes, so its
 *     statement (captured from one call through the repository) is replayed inside BEGIN ... ROLLBACK,
 *     timing the statement alone; the same stale customers are claimed each time.
 * Every statement an operation sent (captured on the pool's connections) is EXPLAINed (FORMAT JSON)
 * with its own parameters at 1M: no Seq Scan may touch customers, kyc_sessions or
 * kyc_status_history. Target: each operation's p50 at 1M <= 1.25 x its p50 at the base size.
 */
import { createHash } from 'node:crypto'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import type { AppConfig } from '../src/config/app-config.js'
import { CustomersRepository } from '../src/customers/customers.repository.js'
import { PrismaService } from '../src/database/prisma.service.js'
import { pgDatabase } from '../src/database/sql.js'
import { KycRepository } from '../src/kyc/kyc.repository.js'
import { WebhooksRepository } from '../src/webhooks/webhooks.repository.js'
import { createBenchDatabase, dropBenchDatabase, migrate } from './lib/processes.js'
import { latency, ms, round } from './lib/stats.js'
import type { BenchContext, SectionResult } from './lib/types.js'

const RATIO_TARGET = 1.25
const BIG_TABLES = ['customers', 'kyc_sessions', 'kyc_status_history']
const UNMEASURED = 20

/** One statement per table; $1 = the number of customers. Customer i's id is md5('c' || i)::uuid. */
const SEED = [
  `INSERT INTO customers (id, align_customer_id, email, email_normalized, type, first_name, last_name,
       kyc_status, kyc_sub_status, kyc_observed_at, kyc_updated_at, rails, last_synced_at, created_at, updated_at)
   SELECT md5('c' || i)::uuid, 'align-' || i, 'c' || i || '@example.com', 'c' || i || '@example.com',
          'individual', 'Bench', 'C' || i,
          (CASE i % 10 WHEN 0 THEN 'not_started' WHEN 1 THEN 'pending' WHEN 2 THEN 'pending'
                       WHEN 3 THEN 'rejected' ELSE 'approved' END)::"KycStatus",
          (CASE i % 10 WHEN 0 THEN NULL WHEN 1 THEN 'kyc_form_submission_started'
                       WHEN 2 THEN 'kyc_form_submission_started' WHEN 3 THEN 'kyc_form_resubmission_required'
                       ELSE 'kyc_form_submission_accepted' END)::"KycSubStatus",
          timestamptz '2026-01-01' + i * interval '1 second' + interval '1 hour',
          timestamptz '2026-01-01' + i * interval '1 second' + interval '1 hour',
          '[]'::jsonb,
          now() - ((i * 7919) % 172800) * interval '1 second',
          timestamptz '2026-01-01' + i * interval '1 second', now()
     FROM generate_series(1, $1::int) i`,
  `INSERT INTO kyc_sessions (id, customer_id, live_customer_id, url, reason, issued_status, issued_sub_status,
       created_at, expires_at)
   SELECT md5('s' || i)::uuid, md5('c' || i)::uuid, md5('c' || i)::uuid, 'https://align.example/flow/' || md5('s' || i),
          'none_yet', 'not_started', NULL, now() - interval '1 minute', now() + interval '30 days'
     FROM generate_series(1, $1::int) i`,
  `INSERT INTO kyc_status_history (id, customer_id, status, sub_status, previous_status, previous_sub_status,
       source, occurred_at, recorded_at)
   SELECT md5('h' || j)::uuid, md5('c' || ((j - 1) / 3 + 1))::uuid,
          (CASE (j - 1) % 3 WHEN 1 THEN 'rejected' ELSE 'pending' END)::"KycStatus",
          (CASE (j - 1) % 3 WHEN 1 THEN 'kyc_form_resubmission_required' ELSE 'kyc_form_submission_started' END)::"KycSubStatus",
          (CASE (j - 1) % 3 WHEN 0 THEN 'not_started' WHEN 1 THEN 'pending' ELSE 'rejected' END)::"KycStatus",
          (CASE (j - 1) % 3 WHEN 0 THEN NULL WHEN 1 THEN 'kyc_form_submission_started' ELSE 'kyc_form_resubmission_required' END)::"KycSubStatus",
          'webhook', timestamptz '2026-01-01' + ((j - 1) / 3 + 1) * interval '1 second' + ((j - 1) % 3) * interval '1 minute',
          timestamptz '2026-01-01' + ((j - 1) / 3 + 1) * interval '1 second' + ((j - 1) % 3) * interval '1 minute'
     FROM generate_series(1, 3 * $1::int) j`,
]

const uuidOf = (key: string) => {
  const h = createHash('md5').update(key).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}
/** A random customer number in [from, to] whose i % 10 is one of `residues` (1, 2: pending; 0-3: not approved). */
const pick = (from: number, to: number, residues: number[]): number => {
  for (;;) {
    const i = from + Math.floor(Math.random() * (to - from + 1))
    if (residues.includes(i % 10)) return i
  }
}

type Captured = { text: string; values: unknown[] }
type Op = { name: string; run: () => Promise<unknown>; statements: Captured[]; p50: number; samples: number }
type Plan = { statement: string; nodes: string[]; seqScansOnBigTables: string[] }

async function atSize(ctx: BenchContext, customers: number) {
  const db = await createBenchDatabase()
  try {
    await migrate(db.url)
    const seed = new pg.Client({ connectionString: db.url })
    await seed.connect()
    const t0 = performance.now()
    try {
      // Foreign keys hold by construction; skipping their triggers makes the seed several times faster.
      await seed.query(`SET session_replication_role = replica`)
      for (const statement of SEED) await seed.query(statement, [customers])
      await seed.query(`RESET session_replication_role`)
      await seed.query(`ANALYZE`)
    } finally {
      await seed.end()
    }
    const seedSec = (performance.now() - t0) / 1000
    ctx.progress(`scale: ${customers} customers seeded and analyzed in ${seedSec.toFixed(1)} s`)

    // The service's pool, Prisma client and repositories; every statement sent is recorded while
    // `capture` is set.
    const pool = new pg.Pool({ connectionString: db.url, max: 4 })
    pool.on('error', () => undefined)
    let capture: Captured[] | null = null
    pool.on('connect', (client) => {
      const c = client as unknown as { query: (...args: unknown[]) => unknown }
      const query = c.query.bind(client)
      c.query = (...args: unknown[]) => {
        if (capture) {
          const [a, b] = args as [string | { text: string; values?: unknown[] }, unknown]
          const text = typeof a === 'string' ? a : a.text
          const values = (typeof a === 'string' ? b : (a.values ?? b)) as unknown[] | undefined
          if (/^\s*(WITH|SELECT|UPDATE|INSERT|DELETE)\b/i.test(text))
            capture.push({ text, values: values ?? [] })
        }
        return query(...args)
      }
    })
    const prisma = new PrismaService(new PrismaPg(pool), null, 'postgres', pgDatabase(pool))
    const kyc = new KycRepository(prisma)
    const list = new CustomersRepository(prisma, { align: { timeoutMs: 10_000 } } as AppConfig)
    const webhooks = new WebhooksRepository(prisma)
    const replay = new pg.Client({ connectionString: db.url })
    await replay.connect()
    try {
      const someone = () => uuidOf(`c${pick(1, customers, [0, 1, 2, 3])}`)
      const deep = () => {
        const i = pick(1, Math.max(10, Math.floor(customers / 10)), [1, 2])
        return { createdAt: new Date(Date.parse('2026-01-01T00:00:00Z') + i * 1000), id: uuidOf(`c${i}`) }
      }
      const claim: Captured[] = []
      capture = claim
      await webhooks.claimStaleCustomers(new Date(Date.now() - 15 * 60_000), 50)
      capture = null
      if (claim.length !== 1)
        throw new Error(`scale: the reconciler claim sent ${claim.length} statements, expected 1`)
      const replayClaim = async () => {
        await replay.query('BEGIN')
        const t = performance.now()
        await replay.query(claim[0]!.text, claim[0]!.values)
        const dt = performance.now() - t
        await replay.query('ROLLBACK')
        return dt
      }
      const ops: Omit<Op, 'statements' | 'p50' | 'samples'>[] = [
        { name: 'warm link (findLinkState)', run: () => kyc.findLinkState(someone()) },
        { name: 'GET kyc (view)', run: () => kyc.view(someone()) },
        { name: 'list by status, first page', run: () => list.page({ status: 'pending', limit: 20 }) },
        {
          name: 'list by status, deep cursor page',
          run: () => list.page({ status: 'pending', limit: 20, after: deep() }),
        },
        { name: 'reconciler claim (replayed, rolled back)', run: replayClaim },
      ]
      const measured: Op[] = []
      for (const op of ops) {
        const statements: Captured[] = []
        capture = statements
        await op.run()
        capture = null
        const times: number[] = []
        for (let i = 0; i < UNMEASURED + ctx.options.scaleSamples; i++) {
          const t = performance.now()
          const r = await op.run()
          const dt = op.run === replayClaim ? (r as number) : performance.now() - t
          if (i >= UNMEASURED) times.push(dt)
        }
        const l = latency(times)
        measured.push({
          ...op,
          statements: op.run === replayClaim ? claim : statements,
          p50: l.p50,
          samples: l.samples,
        })
      }
      const plans = new Map<string, Plan[]>()
      for (const op of measured) {
        const out: Plan[] = []
        for (const s of op.statements) {
          const { rows } = await replay.query<{ 'QUERY PLAN': unknown }>(
            `EXPLAIN (FORMAT JSON) ${s.text}`,
            s.values,
          )
          const nodes: { type: string; relation?: string; index?: string }[] = []
          const walk = (n: Record<string, unknown>) => {
            nodes.push({
              type: String(n['Node Type']),
              ...(n['Relation Name'] ? { relation: String(n['Relation Name']) } : {}),
              ...(n['Index Name'] ? { index: String(n['Index Name']) } : {}),
            })
            for (const child of (n['Plans'] as Record<string, unknown>[] | undefined) ?? []) walk(child)
          }
          walk((rows[0]!['QUERY PLAN'] as { Plan: Record<string, unknown> }[])[0]!.Plan)
          out.push({
            statement: s.text.replace(/\s+/g, ' ').trim(),
            nodes: nodes.map(
              (n) => `${n.type}${n.relation ? ` on ${n.relation}` : ''}${n.index ? ` using ${n.index}` : ''}`,
            ),
            seqScansOnBigTables: nodes
              .filter((n) => n.type === 'Seq Scan' && n.relation && BIG_TABLES.includes(n.relation))
              .map((n) => n.relation!),
          })
        }
        plans.set(op.name, out)
      }
      return { customers, seedSec, ops: measured, plans }
    } finally {
      await replay.end()
      await prisma.$disconnect().catch(() => undefined)
      await pool.end().catch(() => undefined)
    }
  } finally {
    await dropBenchDatabase(db.name)
  }
}

export async function benchScale(ctx: BenchContext): Promise<SectionResult> {
  const { scaleBaseCustomers, scaleCustomers } = ctx.options
  ctx.progress(`scale: ${scaleBaseCustomers} customers first, then ${scaleCustomers}`)
  const small = await atSize(ctx, scaleBaseCustomers)
  const big = await atSize(ctx, scaleCustomers)
  const rows: [string, string][] = [
    [
      'seeded (customers, sessions, history rows)',
      `${scaleBaseCustomers}/${scaleBaseCustomers}/${3 * scaleBaseCustomers} in ${small.seedSec.toFixed(1)} s; ${scaleCustomers}/${scaleCustomers}/${3 * scaleCustomers} in ${big.seedSec.toFixed(1)} s`,
    ],
  ]
  const targets = []
  const data: Record<string, unknown> = {}
  for (const [i, op] of big.ops.entries()) {
    const base = small.ops[i]!
    const ratio = op.p50 / base.p50
    const plans = big.plans.get(op.name) ?? []
    const seq = plans.flatMap((p) => p.seqScansOnBigTables)
    rows.push([
      op.name,
      `p50 ${ms(base.p50, 3)} at ${scaleBaseCustomers}, ${ms(op.p50, 3)} at ${scaleCustomers}: ${ratio.toFixed(2)} x`,
    ])
    for (const p of plans) rows.push([`  plan at ${scaleCustomers}`, p.nodes.join(' > ')])
    targets.push({
      name: `${op.name} at ${scaleCustomers}: p50 vs ${scaleBaseCustomers}, index scans only`,
      target: `<= ${RATIO_TARGET.toFixed(2)} x, no Seq Scan`,
      measured: `${ratio.toFixed(2)} x${seq.length ? `, Seq Scan on ${[...new Set(seq)].join(', ')}` : ''}`,
      pass: ratio <= RATIO_TARGET && seq.length === 0 && plans.length > 0,
    })
    data[op.name] = {
      p50MsBase: round(base.p50, 4),
      p50MsBig: round(op.p50, 4),
      ratio: round(ratio),
      samples: op.samples,
      plansAtBig: plans,
      plansAtBase: small.plans.get(op.name) ?? [],
    }
  }
  return {
    key: 'scale',
    title: `9. Scale: ${scaleCustomers} customers, ${scaleCustomers} sessions, ${3 * scaleCustomers} history rows vs ${scaleBaseCustomers}`,
    rows,
    targets,
    data: {
      baseCustomers: scaleBaseCustomers,
      customers: scaleCustomers,
      samplesPerOperation: ctx.options.scaleSamples,
      seedSec: { base: round(small.seedSec, 1), big: round(big.seedSec, 1) },
      method:
        'repository methods from src/ in the bench process on their own pg pool (max 4) and Prisma client, sequential; the claim replayed in BEGIN/ROLLBACK; EXPLAIN (FORMAT JSON) with the captured parameters',
      operations: data,
    },
  }
}
