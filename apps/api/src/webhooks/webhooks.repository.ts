import { randomUUID } from 'node:crypto'
import { Injectable } from '@nestjs/common'
import type { ApplyDecision } from '@align-kyc/domain'
import { PrismaService } from '../database/prisma.service.js'
import { newestFirst, type KeysetPosition } from '../database/keyset.js'
import { prismaSql } from '../database/sql.js'
import type { AlignReading } from '../kyc/kyc-observation.js'
import { applyReadingLocked } from '../kyc/kyc-state.store.js'

export type DeliveryStatus = 'pending' | 'processed' | 'failed' | 'ignored'

/** A verified, parsed delivery about to be stored. */
export type NewDelivery = {
  bodyHash: string
  rawBody: string
  eventType: string
  entityType: string | null
  entityId: string
  eventCreatedAt: Date
  /** `process`: a worker applies it; `ignore`: stored and acknowledged only (unknown event type). */
  handling: 'process' | 'ignore'
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
  limit: number
  after?: KeysetPosition
}

/** What Align reported, as seen (unknown values included), stored on the processed delivery. */
export type Observed = { status: string | null; subStatus: string | null }

export type CompleteResult =
  | { kind: 'applied'; decision: ApplyDecision }
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

@Injectable()
export class WebhooksRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Stores a delivery once per body (ON CONFLICT on body_hash DO NOTHING) in one statement, which is
   * the transaction the 200 waits for. A `process` delivery is due now when its customer is
   * recorded, and parked (next_attempt_at null) otherwise; CustomersRepository.recordCreated
   * releases parked ones when it records the customer, and the worker's sweep (`releaseParked`)
   * catches the race where both commit at the same moment.
   */
  async store(d: NewDelivery): Promise<StoreResult> {
    const id = randomUUID()
    const status: DeliveryStatus = d.handling === 'ignore' ? 'ignored' : 'pending'
    const rows = await this.prisma.$queryRaw<{ id: string; queued: boolean }[]>`
      INSERT INTO webhook_deliveries
        (id, body_hash, raw_body, event_type, entity_type, entity_id, event_created_at, status,
         next_attempt_at, outcome, processed_at)
      SELECT ${id}::uuid, ${d.bodyHash}, ${d.rawBody}, ${d.eventType}, ${d.entityType}, ${d.entityId},
             ${d.eventCreatedAt}::timestamptz, ${status}::"DeliveryStatus",
             CASE WHEN ${status} = 'pending' AND EXISTS (SELECT 1 FROM customers WHERE align_customer_id = ${d.entityId})
                  THEN now() ELSE NULL END,
             CASE WHEN ${status} = 'ignored' THEN 'not_processed' ELSE NULL END,
             CASE WHEN ${status} = 'ignored' THEN now() ELSE NULL END
      ON CONFLICT (body_hash) DO NOTHING
      RETURNING id::text AS id, (next_attempt_at IS NOT NULL) AS queued`
    const row = rows[0]
    if (!row) return { duplicate: true }
    return { duplicate: false, id: row.id, status, queued: row.queued }
  }

  /**
   * Claims up to `limit` due deliveries for `leaseMs`: one statement that picks rows with
   * FOR UPDATE SKIP LOCKED (concurrent claimers on other instances skip them instead of waiting),
   * increments `attempts` (the fencing token) and pushes `next_attempt_at` to the lease's end, so
   * a worker that dies mid-way gives the delivery back when the lease runs out. No row lock is held
   * while Align is called.
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    return this.prisma.$queryRaw<ClaimedDelivery[]>`
      UPDATE webhook_deliveries d
         SET attempts = d.attempts + 1,
             next_attempt_at = now() + (${leaseMs}::int * interval '1 millisecond')
        FROM (SELECT id FROM webhook_deliveries
               WHERE status = 'pending' AND next_attempt_at <= now()
               ORDER BY next_attempt_at, received_at
               LIMIT ${limit}::int
               FOR UPDATE SKIP LOCKED) due
       WHERE d.id = due.id
   RETURNING d.id::text AS id, d.event_type AS "eventType", d.entity_id AS "entityId",
             d.event_created_at AS "eventCreatedAt", d.attempts`
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
   * In ONE transaction: re-checks the claim under the delivery's row lock, applies the observation
   * through the customer's row lock (applyReadingLocked) and marks the delivery processed with what
   * was observed and what the domain decided. Either both are committed or neither.
   */
  async complete(claim: ClaimedDelivery, reading: AlignReading, observed: Observed): Promise<CompleteResult> {
    return this.prisma.$transaction(async (tx) => {
      const held = await tx.$queryRaw<{ ok: boolean }[]>`
        SELECT (status = 'pending' AND attempts = ${claim.attempts}::int) AS ok
          FROM webhook_deliveries WHERE id = ${claim.id}::uuid FOR UPDATE`
      if (!held[0]?.ok) return { kind: 'lost' } as const
      const customer = await tx.customer.findUnique({
        where: { alignCustomerId: claim.entityId },
        select: { id: true },
      })
      if (!customer) {
        await tx.webhookDelivery.update({ where: { id: claim.id }, data: { nextAttemptAt: null } })
        return { kind: 'parked' } as const
      }
      const { decision } = await applyReadingLocked(prismaSql(tx), customer.id, reading)
      await tx.webhookDelivery.update({
        where: { id: claim.id },
        data: {
          status: 'processed',
          outcome: decision.outcome === 'applied' ? 'applied' : decision.reason,
          observedStatus: observed.status,
          observedSubStatus: observed.subStatus,
          processedAt: new Date(),
          nextAttemptAt: null,
          lastError: null,
        },
      })
      return { kind: 'applied', decision } as const
    })
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
    const rows = await this.prisma.webhookDelivery.findMany({
      where: { ...(q.status ? { status: q.status } : {}), ...keyset.where },
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

  /**
   * Claims up to `limit` customers for reconciliation: not approved, not asked about Align since
   * `olderThan`. SKIP LOCKED lets instances share the work; bumping last_synced_at at claim time is
   * the lease (no other instance picks them again before RECONCILE_AFTER has passed).
   */
  async claimStaleCustomers(olderThan: Date, limit: number): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      UPDATE customers c SET last_synced_at = now()
        FROM (SELECT id FROM customers
               WHERE kyc_status <> 'approved' AND last_synced_at < ${olderThan}::timestamptz
               ORDER BY last_synced_at
               LIMIT ${limit}::int
               FOR UPDATE SKIP LOCKED) stale
       WHERE c.id = stale.id
   RETURNING c.id::text AS id`
    return rows.map((r) => r.id)
  }
}
