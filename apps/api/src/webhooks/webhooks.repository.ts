import { randomUUID } from 'node:crypto'
import { Injectable } from '@nestjs/common'
import type { ApplyDecision } from '@align-kyc/domain'
import { PrismaService } from '../database/prisma.service.js'
import { newestFirst, type KeysetPosition } from '../database/keyset.js'
import type { AlignReading } from '../kyc-state/kyc-observation.js'
import { applyReadingLocked, lockKycState } from '../kyc-state/kyc-state.store.js'

export type DeliveryStatus = 'pending' | 'processed' | 'failed' | 'ignored'

/** A verified, parsed delivery about to be stored. */
export type NewDelivery = {
  bodyHash: string
  rawBody: string
  eventType: string
  entityType: string | null
  entityId: string
  eventCreatedAt: Date
  /**
   * `process`: a worker applies it once its customer is recorded (`customer.kycs.updated`: entity_id
   * is the Align customer); `process-now`: a worker hands it to its event type's handler
   * (WebhookHandlers) without waiting for anything; `ignore`: stored and acknowledged only (an
   * event type nothing acts on).
   */
  handling: 'process' | 'process-now' | 'ignore'
}

/** What `store` did: `duplicate` when the same body was stored before (nothing new happened). */
export type StoreResult =
  { duplicate: true } | { duplicate: false; id: string; status: DeliveryStatus; queued: boolean }

/**
 * A delivery a worker holds. `attempts` is the fencing token: every claim increments it, so a
 * worker whose lease ran out (and whose delivery someone else claimed since) can no longer finish.
 */
export type ClaimedDelivery = {
  id: string
  eventType: string
  entityId: string
  eventCreatedAt: Date
  attempts: number
}

/**
 * The deliveries one claim took for one entity and event type (for `customer.kycs.updated`: one
 * customer), and when the claim was made (the database's
 * clock, the one `received_at` is on). The Align read made for them starts after `claimedAt`, so it
 * also answers every other delivery for the customer received before then (see `complete`).
 */
export type ClaimedCustomer = {
  /** Every delivery of a claim has this event type (`customer.kycs.updated`: entityId is the customer) */
  eventType: string
  entityId: string
  claimedAt: Date
  deliveries: ClaimedDelivery[]
}

/** The operator's view of a delivery (never the raw body). */
export type DeliveryRecord = {
  id: string
  eventType: string
  entityId: string
  status: DeliveryStatus
  attempts: number
  receivedAt: Date
  processedAt: Date | null
  lastError: string | null
}

export type DeliveryPageQuery = {
  status?: DeliveryStatus
  /** Our customer id: deliveries whose entity is its Align customer or one of its virtual accounts. */
  customerId?: string
  limit: number
  after?: KeysetPosition
}

/** What Align reported, as seen (unknown values included), stored on the processed delivery. */
export type Observed = { status: string | null; subStatus: string | null }

export type CompleteResult =
  /** `processed`: how many deliveries this reading answered (the claimed ones and earlier ones). */
  | { kind: 'applied'; decision: ApplyDecision; processed: number }
  /** The customer is not (or no longer) recorded: parked until it is. */
  | { kind: 'parked' }
  /** The claim was lost (lease expired and another worker claimed it, or an operator re-queued it). */
  | { kind: 'lost' }

const RECORD_SELECT = {
  id: true,
  eventType: true,
  entityId: true,
  status: true,
  attempts: true,
  receivedAt: true,
  processedAt: true,
  lastError: true,
} as const

/** Any constant (not another lock's): one body-retention run at a time over all instances. */
const BODY_RETENTION_LOCK = 1_702_018_004

@Injectable()
export class WebhooksRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Stores a delivery once per body (ON CONFLICT on body_hash DO NOTHING) in one statement, which is
   * the transaction the 200 waits for. A `process` delivery is due `windowMs` from now when its
   * customer is recorded (WEBHOOK_COALESCE_WINDOW: a burst for one customer then costs one Align
   * read per window, see `complete`), and parked (next_attempt_at null) otherwise;
   * CustomersRepository.recordCreated releases parked ones when it records the customer, and the
   * worker's sweep (`releaseParked`) catches the race where both commit at the same moment.
   */
  /**
   * Erases (nulls) the raw bodies of deliveries received before `cutoff`, oldest first, `batch` per
   * transaction until fewer are left; metadata stays. Each transaction first takes a transaction
   * advisory lock with pg_try_advisory_xact_lock: an instance that does not get it stops (another is
   * doing the work), so several instances never erase the same rows twice or queue behind each other.
   * Walks the partial index of kept bodies, so erased rows cost nothing. Returns how many were
   * erased, or null when another instance held the lock before this one erased any.
   */
  async eraseBodiesOlderThan(cutoff: Date, batch: number): Promise<number | null> {
    let total = 0
    for (;;) {
      const n = await this.prisma.sql.transaction(async (sql) => {
        const [lock] = await sql<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1::bigint) AS ok', [
          BODY_RETENTION_LOCK,
        ])
        if (!lock?.ok) return null
        const rows = await sql<{ n: number }>(
          `WITH e AS (
             UPDATE webhook_deliveries SET raw_body = NULL WHERE id IN (
               SELECT id FROM webhook_deliveries
                WHERE raw_body IS NOT NULL AND received_at < $1::timestamptz
                ORDER BY received_at LIMIT $2::int)
             RETURNING 1)
           SELECT count(*)::int AS n FROM e`,
          [cutoff, batch],
        )
        return rows[0]?.n ?? 0
      })
      if (n === null) return total > 0 ? total : null
      total += n
      if (n < batch) return total
    }
  }

  async store(d: NewDelivery, windowMs: number): Promise<StoreResult> {
    const id = randomUUID()
    const status: DeliveryStatus = d.handling === 'ignore' ? 'ignored' : 'pending'
    // Plain SQL (database/sql.ts): this statement is the whole of a webhook's acknowledgement, and
    // through Prisma's $queryRaw it cost several times the round trip in CPU.
    const rows = await this.prisma.sql.query<{ id: string; queued: boolean }>(
      `INSERT INTO webhook_deliveries
         (id, body_hash, raw_body, event_type, entity_type, entity_id, event_created_at, status,
          next_attempt_at, outcome, processed_at)
       SELECT $1::uuid, $2,
              -- About a redacted customer (or one of its accounts): the body is not kept at all.
              CASE WHEN EXISTS (SELECT 1 FROM customers WHERE align_customer_id = $6 AND redacted_at IS NOT NULL)
                     OR EXISTS (SELECT 1 FROM virtual_accounts v JOIN customers c ON c.id = v.customer_id
                                 WHERE v.align_virtual_account_id = $6 AND c.redacted_at IS NOT NULL)
                   THEN NULL ELSE $3 END,
              $4, $5, $6, $7::timestamptz, $8::text::"DeliveryStatus",
              CASE WHEN $9::text = 'process-now' THEN now()
                   WHEN $8::text = 'pending' AND EXISTS (SELECT 1 FROM customers WHERE align_customer_id = $6)
                   THEN now() + ($10::int * interval '1 millisecond') ELSE NULL END,
              CASE WHEN $8::text = 'ignored' THEN 'not_processed' ELSE NULL END,
              CASE WHEN $8::text = 'ignored' THEN now() ELSE NULL END
       ON CONFLICT (body_hash) DO NOTHING
       RETURNING id::text AS id, (next_attempt_at IS NOT NULL) AS queued`,
      [
        id,
        d.bodyHash,
        d.rawBody,
        d.eventType,
        d.entityType,
        d.entityId,
        d.eventCreatedAt,
        status,
        d.handling,
        Math.round(windowMs),
      ],
    )
    const row = rows[0]
    if (!row) return { duplicate: true }
    return { duplicate: false, id: row.id, status, queued: row.queued }
  }

  /**
   * Claims up to `limit` due deliveries for `leaseMs`, grouped by customer: one statement that picks
   * rows with FOR UPDATE SKIP LOCKED (concurrent claimers on other instances skip them instead of
   * waiting), increments `attempts` (the fencing token) and pushes `next_attempt_at` to the lease's
   * end, so a worker that dies mid-way gives the delivery back when the lease runs out. No row lock
   * is held while Align is called.
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedCustomer[]> {
    const rows = await this.prisma.sql.query<ClaimedDelivery & { claimedAt: Date }>(
      `UPDATE webhook_deliveries d
          SET attempts = d.attempts + 1,
              next_attempt_at = now() + ($1::int * interval '1 millisecond')
         FROM (SELECT id FROM webhook_deliveries
                WHERE status = 'pending' AND next_attempt_at <= now()
                ORDER BY next_attempt_at, received_at
                LIMIT $2::int
                FOR UPDATE SKIP LOCKED) due
        WHERE d.id = due.id
    RETURNING d.id::text AS id, d.event_type AS "eventType", d.entity_id AS "entityId",
              d.event_created_at AS "eventCreatedAt", d.attempts, now() AS "claimedAt"`,
      [Math.ceil(leaseMs), limit],
    )
    const byCustomer = new Map<string, ClaimedCustomer>()
    for (const { claimedAt, ...delivery } of rows) {
      const key = `${delivery.eventType} ${delivery.entityId}`
      const group = byCustomer.get(key)
      if (group) group.deliveries.push(delivery)
      else
        byCustomer.set(key, {
          eventType: delivery.eventType,
          entityId: delivery.entityId,
          claimedAt,
          deliveries: [delivery],
        })
    }
    return [...byCustomer.values()]
  }

  /** Makes parked deliveries whose customer is recorded by now due (a safety net; see `store`). */
  async releaseParked(limit: number): Promise<number> {
    return this.prisma.$executeRaw`
      UPDATE webhook_deliveries SET next_attempt_at = now()
       WHERE id IN (SELECT w.id FROM webhook_deliveries w
                     WHERE w.status = 'pending' AND w.next_attempt_at IS NULL
                       AND EXISTS (SELECT 1 FROM customers c WHERE c.align_customer_id = w.entity_id)
                     LIMIT ${limit}::int
                     FOR UPDATE SKIP LOCKED)`
  }

  async customerIdByAlignId(alignCustomerId: string): Promise<string | null> {
    const row = await this.prisma.customer.findUnique({ where: { alignCustomerId }, select: { id: true } })
    return row?.id ?? null
  }

  /** Parks a claimed delivery until its customer is recorded. False when the claim was lost. */
  async park(claim: ClaimedDelivery): Promise<boolean> {
    const n = await this.prisma.webhookDelivery.updateMany({
      where: { id: claim.id, status: 'pending', attempts: claim.attempts },
      data: { nextAttemptAt: null },
    })
    return n.count === 1
  }

  /**
   * Records one Align reading of a customer, read after `claim.claimedAt`, in ONE short transaction:
   * locks the customer's row (every completion for the customer serialises there, before any
   * delivery row is locked, so two of them cannot deadlock), re-checks the claim (`attempts` as the
   * fencing token), applies the reading (applyReadingLocked) and marks as processed, with what was
   * observed and what the domain decided, every pending delivery for the customer received before
   * the claim was made: the claimed ones and any that arrived earlier (not yet due, or claimed by
   * another worker, whose own completion then finds nothing left to do). A delivery received after
   * the claim may describe a change this reading missed: it stays pending for the next read.
   * `received_at` is stored to the millisecond (rounded), hence the one-millisecond margin.
   * Lost (nothing applied) when none of the claimed deliveries is still held: another worker or an
   * earlier reading has answered or taken over all of them.
   */
  async complete(claim: ClaimedCustomer, reading: AlignReading, observed: Observed): Promise<CompleteResult> {
    return this.prisma.sql.transaction(async (sql) => {
      const customer = await sql<{ id: string }>(
        'SELECT id::text AS id FROM customers WHERE align_customer_id = $1',
        [claim.entityId],
      )
      const customerId = customer[0]?.id
      const params: unknown[] = [claim.entityId]
      const held = claim.deliveries
        .map((d) => `(id = $${params.push(d.id)}::uuid AND attempts = $${params.push(d.attempts)}::int)`)
        .join(' OR ')
      if (!customerId) {
        await sql(
          `UPDATE webhook_deliveries SET next_attempt_at = NULL
            WHERE entity_id = $1 AND status = 'pending' AND (${held})`,
          params,
        )
        return { kind: 'parked' } as const
      }
      const locked = await lockKycState(sql, customerId)
      const stillHeld = await sql<{ id: string }>(
        `SELECT id::text AS id FROM webhook_deliveries
          WHERE entity_id = $1 AND status = 'pending' AND (${held}) FOR UPDATE`,
        params,
      )
      if (stillHeld.length === 0) return { kind: 'lost' } as const
      const { decision } = await applyReadingLocked(sql, customerId, reading, locked ?? undefined)
      const answered = await sql<{ id: string }>(
        `UPDATE webhook_deliveries
            SET status = 'processed', outcome = $2, observed_status = $3, observed_sub_status = $4,
                processed_at = now(), next_attempt_at = NULL, last_error = NULL
          WHERE entity_id = $1 AND status = 'pending' AND event_type = 'customer.kycs.updated'
            AND (received_at < $5::timestamptz - interval '1 millisecond'
                 OR id IN (${stillHeld.map((_, i) => `$${i + 6}::uuid`).join(', ')}))
      RETURNING id::text AS id`,
        [
          claim.entityId,
          decision.outcome === 'applied' ? 'applied' : decision.reason,
          observed.status,
          observed.subStatus,
          claim.claimedAt,
          ...stillHeld.map((r) => r.id),
        ],
      )
      return { kind: 'applied', decision, processed: answered.length } as const
    })
  }

  /**
   * Records what a handler made of a delivery (WebhookHandlers), fenced by the claim: `processed`
   * or `ignored`, with its outcome. False when the claim was lost.
   */
  async finish(claim: ClaimedDelivery, status: 'processed' | 'ignored', outcome: string): Promise<boolean> {
    const n = await this.prisma.$executeRaw`
      UPDATE webhook_deliveries
         SET status = ${status}::"DeliveryStatus", outcome = ${outcome.slice(0, 200)},
             processed_at = now(), next_attempt_at = NULL, last_error = NULL
       WHERE id = ${claim.id}::uuid AND status = 'pending' AND attempts = ${claim.attempts}::int`
    return n === 1
  }

  /**
   * Records a failed attempt (fenced by the claim): back to pending with the next attempt after
   * `delayMs`, or `failed` once `maxAttempts` attempts were made. Null when the claim was lost.
   */
  async recordFailure(
    claim: ClaimedDelivery,
    error: string,
    delayMs: number,
    maxAttempts: number,
  ): Promise<'pending' | 'failed' | null> {
    const rows = await this.prisma.$queryRaw<{ status: 'pending' | 'failed' }[]>`
      UPDATE webhook_deliveries
         SET last_error = ${error.slice(0, 1000)},
             status = CASE WHEN attempts >= ${maxAttempts}::int THEN 'failed'::"DeliveryStatus" ELSE 'pending'::"DeliveryStatus" END,
             next_attempt_at = CASE WHEN attempts >= ${maxAttempts}::int THEN NULL
                                    ELSE now() + (${Math.round(delayMs)}::int * interval '1 millisecond') END
       WHERE id = ${claim.id}::uuid AND status = 'pending' AND attempts = ${claim.attempts}::int
   RETURNING status::text AS status`
    return rows[0]?.status ?? null
  }

  /** Gives a claim back unused (shutdown): due now, the attempt not counted against it. */
  async release(claim: ClaimedDelivery): Promise<void> {
    await this.prisma.webhookDelivery.updateMany({
      where: { id: claim.id, status: 'pending', attempts: claim.attempts },
      data: { nextAttemptAt: new Date(), attempts: { decrement: 1 } },
    })
  }

  /** Newest first, keyset-paginated on (receivedAt, id). */
  async page(q: DeliveryPageQuery): Promise<{ items: DeliveryRecord[]; hasMore: boolean }> {
    const keyset = newestFirst('receivedAt', q.after)
    let entityIds: string[] | undefined
    if (q.customerId) {
      // Its Align ids first (two index reads), so that the page itself stays one keyset read of
      // webhook_deliveries (entity_id is indexed) rather than a join per delivery.
      const customer = await this.prisma.customer.findUnique({
        where: { id: q.customerId },
        select: { alignCustomerId: true, virtualAccounts: { select: { alignVirtualAccountId: true } } },
      })
      if (!customer) return { items: [], hasMore: false }
      entityIds = [customer.alignCustomerId]
      for (const v of customer.virtualAccounts)
        if (v.alignVirtualAccountId) entityIds.push(v.alignVirtualAccountId)
    }
    const rows = await this.prisma.webhookDelivery.findMany({
      where: {
        ...(q.status ? { status: q.status } : {}),
        ...(entityIds ? { entityId: { in: entityIds } } : {}),
        ...keyset.where,
      },
      orderBy: keyset.orderBy,
      take: q.limit + 1,
      select: RECORD_SELECT,
    })
    return { items: rows.slice(0, q.limit), hasMore: rows.length > q.limit }
  }

  /**
   * Re-queues a pending or failed delivery (due now). `attempts` is kept: it is the fencing token,
   * so a worker still holding an older claim cannot finish it; a re-queued failed delivery gets
   * one more attempt before it is failed again.
   */
  async requeue(
    id: string,
  ): Promise<{ result: 'requeued'; delivery: DeliveryRecord } | { result: 'not_found' | 'not_retryable' }> {
    return this.prisma.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<{ status: DeliveryStatus }[]>`
        SELECT status::text AS status FROM webhook_deliveries WHERE id = ${id}::uuid FOR UPDATE`
      const current = rows[0]
      if (!current) return { result: 'not_found' } as const
      if (current.status !== 'pending' && current.status !== 'failed')
        return { result: 'not_retryable' } as const
      const delivery = await tx.webhookDelivery.update({
        where: { id },
        data: { status: 'pending', nextAttemptAt: new Date() },
        select: RECORD_SELECT,
      })
      return { result: 'requeued', delivery } as const
    })
  }
}
