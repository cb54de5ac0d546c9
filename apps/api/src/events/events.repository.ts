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
/**
 * Any constant. The relay's fan-out takes it exclusively, every statement that ends a delivery or
 * re-queues one takes it shared (webhook-endpoints.repository.ts): whether a new delivery waits
 * behind a pending one is then decided on a snapshot where no head is ending at the same time, so
 * an ending head always sees the deliveries made behind it (and releases the next).
 */
export const FANOUT_LOCK = 1_702_017_004

/**
 * Releases the next delivery of each (endpoint, customer) pair in `$1`/`$2` (uuid arrays): the
 * earliest pending one gets its next attempt now, when it is waiting and the pair has no head (a
 * pending delivery with a next attempt) any more. Run under FANOUT_LOCK (shared), after the
 * statement that ended a head, so it sees every delivery the relay made behind it.
 */
export const RELEASE_NEXT = `
  UPDATE event_deliveries d SET next_attempt_at = now()
    FROM (SELECT DISTINCT p.endpoint_id, p.customer_id
            FROM unnest($1::uuid[], $2::uuid[]) AS p(endpoint_id, customer_id)) p
    CROSS JOIN LATERAL (
      SELECT n.event_id FROM event_deliveries n
       WHERE n.endpoint_id = p.endpoint_id AND n.customer_id = p.customer_id AND n.status = 'pending'
       ORDER BY n.sequence LIMIT 1) n
   WHERE d.endpoint_id = p.endpoint_id AND d.event_id = n.event_id AND d.next_attempt_at IS NULL
     AND NOT EXISTS (
       SELECT 1 FROM event_deliveries h
        WHERE h.endpoint_id = p.endpoint_id AND h.customer_id = p.customer_id
          AND h.status = 'pending' AND h.next_attempt_at IS NOT NULL)`

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
   * A delivery is due at once only when it is its customer's first pending one for that endpoint
   * (the head); the others wait (next_attempt_at null) until the one before them ends. That is
   * decided under FANOUT_LOCK, so no head ends unseen meanwhile.
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
      await sql('SELECT pg_advisory_xact_lock($1::bigint)', [FANOUT_LOCK])
      const made = await sql<{ n: number }>(
        `WITH d AS (
           INSERT INTO event_deliveries
             (endpoint_id, event_id, customer_id, sequence, position, next_attempt_at, retry_until)
           SELECT ep.id, e.id, e.customer_id, e.sequence, e.position,
                  CASE WHEN row_number() OVER (PARTITION BY ep.id, e.customer_id ORDER BY e.sequence) = 1
                        AND NOT EXISTS (
                          SELECT 1 FROM event_deliveries p
                           WHERE p.endpoint_id = ep.id AND p.customer_id = e.customer_id AND p.status = 'pending')
                       THEN now() END,
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
        // A pending delivery deleted with its event (one re-queued after the retention period) may
        // be a head: the next one of its customer for that endpoint is released after.
        await sql('SELECT pg_advisory_xact_lock_shared($1::bigint)', [FANOUT_LOCK])
        const rows = await sql<{ n: number; endpoints: string[]; customers: string[] }>(
          `WITH gone AS (
             SELECT id FROM events WHERE created_at < $1::timestamptz ORDER BY created_at LIMIT $2::int
           ), heads AS (
             SELECT DISTINCT endpoint_id, customer_id FROM event_deliveries
              WHERE event_id IN (SELECT id FROM gone) AND status = 'pending'
           ), d AS (DELETE FROM events WHERE id IN (SELECT id FROM gone) RETURNING 1)
           SELECT (SELECT count(*)::int FROM d) AS n,
                  array(SELECT endpoint_id::text FROM heads ORDER BY endpoint_id, customer_id) AS endpoints,
                  array(SELECT customer_id::text FROM heads ORDER BY endpoint_id, customer_id) AS customers`,
          [cutoff, batch],
        )
        const r = rows[0]
        if (r && r.endpoints.length > 0) await sql(RELEASE_NEXT, [r.endpoints, r.customers])
        return r?.n ?? 0
      })
      if (n === null) return total > 0 ? total : null
      total += n
      if (n < batch) return total
    }
  }
}
