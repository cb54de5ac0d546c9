import { Injectable } from '@nestjs/common'
import { PrismaService } from '../database/prisma.service.js'
import { readKycLiveStatus, type KycLiveStatus } from '../kyc-state/kyc-live-status.js'
import type { EventType } from './outbox.js'

/** An event as the feed and the webhooks show it. */
export type EventRecord = {
  id: string
  type: EventType
  customerId: string
  sequence: number
  data: unknown
  createdAt: Date
  /** The feed position (a bigint, as text): the cursor is made of it. */
  position: string
}

export type EventPageQuery = { after: string; customerId?: string; type?: EventType; limit: number }

/** The channel the relay notifies when it made deliveries; every instance's delivery worker listens. */
export const DELIVERIES_CHANNEL = 'align_kyc_event_deliveries'

/** Any constant: the advisory lock key that lets one relay run at a time over all instances. */
const RELAY_LOCK = 1_702_017_001
/** Any constant: one retention run at a time over all instances. */
const RETENTION_LOCK = 1_702_017_003

const EVENT_COLUMNS = `e.id::text AS id, e.type, e.customer_id::text AS "customerId", e.sequence, e.data,
  e.created_at AS "createdAt", e.position::text AS position`

@Injectable()
export class EventsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** A customer's KYC status as its stream sends it (one indexed read on a pooled connection), or null. */
  async kycLiveStatus(customerId: string): Promise<KycLiveStatus | null> {
    return readKycLiveStatus(this.prisma.sql.query, customerId)
  }

  /** Positioned events after `after` (a position), oldest first; unpositioned ones are not in the feed yet. */
  async page(q: EventPageQuery): Promise<EventRecord[]> {
    const params: unknown[] = [q.after, q.limit]
    const where = ['e.position > $1::bigint']
    if (q.customerId) where.push(`e.customer_id = $${params.push(q.customerId)}::uuid`)
    if (q.type) where.push(`e.type = $${params.push(q.type)}`)
    return this.prisma.sql.query<EventRecord>(
      `SELECT ${EVENT_COLUMNS} FROM events e WHERE ${where.join(' AND ')} ORDER BY e.position LIMIT $2::int`,
      params,
    )
  }

  /**
   * One relay step, in one short transaction: waits for the relay lock (an advisory transaction
   * lock, so one relay at a time over all instances; the next one starts after this one's commit
   * and so sees what it wrote), numbers up to `limit` committed events that have no position yet in
   * insertion order (a customer's in `sequence` order) from the feed's counter, and fans each one
   * out as a pending delivery to every enabled endpoint that takes its type (retried for `retryForMs`). Returns how many
   * events were positioned and how many deliveries made (a delivery notification is sent then).
   *
   * Why this cannot skip: a poller has seen position p only after the relay step that assigned it
   * committed; every later step commits after it and numbers above it. An event committed late is
   * simply numbered by a later step (docs/adr/006-event-feed-positions.md).
   */
  async relayStep(limit: number, retryForMs: number): Promise<{ positioned: number; deliveries: number }> {
    return this.prisma.sql.transaction(async (sql) => {
      await sql('SELECT pg_advisory_xact_lock($1::bigint)', [RELAY_LOCK])
      const positioned = await sql<{ id: string }>(
        `WITH batch AS (
           SELECT id, row_number() OVER (ORDER BY serial) AS rn
             FROM events WHERE position IS NULL ORDER BY serial LIMIT $1::int
         ), n AS (SELECT count(*)::bigint AS c FROM batch),
         head AS (
           INSERT INTO event_feed (id, last_position) SELECT 1, n.c FROM n WHERE n.c > 0
           ON CONFLICT (id) DO UPDATE SET last_position = event_feed.last_position + EXCLUDED.last_position
           RETURNING last_position - (SELECT c FROM n) AS base
         )
         UPDATE events e SET position = head.base + batch.rn FROM batch, head WHERE e.id = batch.id
         RETURNING e.id::text AS id`,
        [limit],
      )
      if (positioned.length === 0) return { positioned: 0, deliveries: 0 }
      const made = await sql<{ n: number }>(
        `WITH d AS (
           INSERT INTO event_deliveries
             (endpoint_id, event_id, customer_id, sequence, position, next_attempt_at, retry_until)
           SELECT ep.id, e.id, e.customer_id, e.sequence, e.position, now(),
                  now() + $2::bigint * interval '1 millisecond'
             FROM events e
             JOIN webhook_endpoints ep
               ON ep.status = 'enabled' AND (cardinality(ep.event_types) = 0 OR e.type = ANY (ep.event_types))
            WHERE e.id = ANY ($1::uuid[])
           RETURNING 1
         )
         SELECT count(*)::int AS n FROM d`,
        [positioned.map((r) => r.id), retryForMs],
      )
      const deliveries = made[0]?.n ?? 0
      if (deliveries > 0) await sql(`SELECT pg_notify('${DELIVERIES_CHANNEL}', '')`)
      return { positioned: positioned.length, deliveries }
    })
  }

  /**
   * Deletes events created before `cutoff` (and, by the foreign key, their deliveries), `batch` per
   * transaction, each under the retention lock taken with pg_try_advisory_xact_lock: an instance that
   * finds another one at it stops (null), so the work is never done twice at once, and whoever
   * runs next finds only what is new. Returns how many events were deleted.
   */
  async deleteOlderThan(cutoff: Date, batch: number): Promise<number | null> {
    let total = 0
    for (;;) {
      const n = await this.prisma.sql.transaction(async (sql) => {
        const [lock] = await sql<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1::bigint) AS ok', [
          RETENTION_LOCK,
        ])
        if (!lock?.ok) return null
        const rows = await sql<{ n: number }>(
          `WITH d AS (
             DELETE FROM events WHERE id IN (
               SELECT id FROM events WHERE created_at < $1::timestamptz ORDER BY created_at LIMIT $2::int)
             RETURNING 1)
           SELECT count(*)::int AS n FROM d`,
          [cutoff, batch],
        )
        return rows[0]?.n ?? 0
      })
      if (n === null) return total > 0 ? total : null
      total += n
      if (n < batch) return total
    }
  }
}
