import { generatedKey } from '../database/generated-keys.js'
import { Injectable } from '@nestjs/common'
import { PrismaService } from '../database/prisma.service.js'
import type { EventType } from './outbox.js'
import { FANOUT_LOCK, RELEASE_NEXT, type EventRecord } from './events.repository.js'

export type EndpointStatus = 'enabled' | 'disabled'
export type OutboundStatus = 'pending' | 'delivered' | 'failed'

/** An endpoint as the routes show it (never its secrets). */
export type EndpointRecord = {
  id: string
  url: string
  eventTypes: EventType[]
  description: string | null
  status: EndpointStatus
  createdAt: Date
  updatedAt: Date
}

/** One event's delivery to one endpoint, as the deliveries route shows it. */
export type OutboundDeliveryRecord = {
  eventId: string
  eventType: EventType
  status: OutboundStatus
  attempts: number
  lastStatusCode: number | null
  lastError: string | null
  nextAttemptAt: Date | null
  deliveredAt: Date | null
  position: string
}

/**
 * A delivery a worker holds: the event, where it goes and the sealed secrets that sign it.
 * `attempts` is the fencing token (every claim increments it).
 */
export type ClaimedOutbound = {
  endpointId: string
  url: string
  secret: string
  /** Still signing (a second signature) after a rotation, until it expires; null otherwise. */
  previousSecret: string | null
  attempts: number
  event: EventRecord
}

export type EndpointPatch = {
  url?: string
  eventTypes?: EventType[]
  description?: string | null
  status?: EndpointStatus
}

const ENDPOINT_COLUMNS = `ep.id::text AS id, ep.url, ep.event_types AS "eventTypes", ep.description,
  ep.status::text AS status, ep.created_at AS "createdAt", ep.updated_at AS "updatedAt"`

const DELIVERY_COLUMNS = `d.event_id::text AS "eventId", e.type AS "eventType", d.status::text AS status,
  d.attempts, d.last_status_code AS "lastStatusCode", d.last_error AS "lastError",
  d.next_attempt_at AS "nextAttemptAt", d.delivered_at AS "deliveredAt", d.position::text AS position`

/** Any constant: claims are made one at a time over all instances, so the per-endpoint bound is exact. */
const CLAIM_LOCK = 1_702_017_002

@Injectable()
export class WebhookEndpointsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(e: {
    id: string
    url: string
    eventTypes: EventType[]
    description: string | null
    sealedSecret: string
  }): Promise<EndpointRecord> {
    const rows = await this.prisma.sql.query<EndpointRecord>(
      `INSERT INTO webhook_endpoints AS ep (id, url, event_types, description, secret)
       VALUES ($1::uuid, $2, $3::text[], $4, $5)
       RETURNING ${ENDPOINT_COLUMNS}`,
      [e.id, e.url, e.eventTypes, e.description, e.sealedSecret],
    )
    return rows[0]!
  }

  /** Every endpoint, newest first (they are few: no pagination). */
  async list(): Promise<EndpointRecord[]> {
    return this.prisma.sql.query<EndpointRecord>(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints ep ORDER BY ep.created_at DESC, ep.id DESC`,
    )
  }

  async find(id: string): Promise<EndpointRecord | null> {
    const rows = await this.prisma.sql.query<EndpointRecord>(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints ep WHERE ep.id = $1::uuid`,
      [id],
    )
    return rows[0] ?? null
  }

  /**
   * Applies a patch in one transaction. Disabling fails the endpoint's pending deliveries (they are
   * dropped from the queue, kept visible as `failed` with the reason, and may be re-queued once it
   * is enabled again); nothing new is fanned out to a disabled endpoint. Null when there is none.
   */
  async update(id: string, p: EndpointPatch): Promise<EndpointRecord | null> {
    return this.prisma.sql.transaction(async (sql) => {
      // Not beside a fan-out: it sees the endpoint disabled and makes nothing, or its deliveries are
      // committed before these are failed.
      if (p.status !== undefined) await sql('SELECT pg_advisory_xact_lock_shared($1::bigint)', [FANOUT_LOCK])
      const params: unknown[] = [id]
      const sets = ['updated_at = now()']
      if (p.url !== undefined) sets.push(`url = $${params.push(p.url)}`)
      if (p.eventTypes !== undefined) sets.push(`event_types = $${params.push(p.eventTypes)}::text[]`)
      if (p.description !== undefined) sets.push(`description = $${params.push(p.description)}`)
      if (p.status !== undefined) sets.push(`status = $${params.push(p.status)}::"EndpointStatus"`)
      const rows = await sql<EndpointRecord>(
        `UPDATE webhook_endpoints ep SET ${sets.join(', ')} WHERE ep.id = $1::uuid RETURNING ${ENDPOINT_COLUMNS}`,
        params,
      )
      if (rows[0]?.status === 'disabled')
        await sql(
          `UPDATE event_deliveries
              SET status = 'failed', next_attempt_at = NULL, lease_until = NULL,
                  last_error = 'dropped: the endpoint was disabled'
            WHERE endpoint_id = $1::uuid AND status = 'pending'`,
          [id],
        )
      return rows[0] ?? null
    })
  }

  /** Deletes the endpoint and (by the foreign key) every delivery for it. False when there was none. */
  async delete(id: string): Promise<boolean> {
    const rows = await this.prisma.sql.query(
      'DELETE FROM webhook_endpoints WHERE id = $1::uuid RETURNING 1',
      [id],
    )
    return rows.length === 1
  }

  /**
   * Replaces the secret; the current one becomes the previous one, which keeps signing until
   * `previousValidMs` from now. False when there is no such endpoint.
   */
  async rotateSecret(id: string, sealedSecret: string, previousValidMs: number): Promise<boolean> {
    const rows = await this.prisma.sql.query(
      `UPDATE webhook_endpoints
          SET previous_secret = secret, secret = $2,
              previous_secret_expires_at = now() + $3::bigint * interval '1 millisecond', updated_at = now()
        WHERE id = $1::uuid RETURNING 1`,
      [id, sealedSecret, previousValidMs],
    )
    return rows.length === 1
  }

  /** An endpoint's deliveries, newest event first, after `beforePosition` (the page cursor). */
  async deliveries(
    endpointId: string,
    q: { status?: OutboundStatus; limit: number; beforePosition?: string },
  ): Promise<{ items: OutboundDeliveryRecord[]; hasMore: boolean }> {
    const params: unknown[] = [endpointId, q.limit + 1]
    const where = ['d.endpoint_id = $1::uuid']
    if (q.status) where.push(`d.status = $${params.push(q.status)}::"EventDeliveryStatus"`)
    if (q.beforePosition) where.push(`d.position < $${params.push(q.beforePosition)}::bigint`)
    const rows = await this.prisma.sql.query<OutboundDeliveryRecord>(
      `SELECT ${DELIVERY_COLUMNS} FROM event_deliveries d JOIN events e ON e.id = d.event_id
        WHERE ${where.join(' AND ')} ORDER BY d.position DESC LIMIT $2::int`,
      params,
    )
    return { items: rows.slice(0, q.limit), hasMore: rows.length > q.limit }
  }

  /**
   * Re-queues a failed delivery with a fresh retry window of `retryForMs`; `attempts` is kept (the
   * fencing token). `not_retryable` for a pending or delivered one. Its customer's pending deliveries
   * to the endpoint go in `sequence` order again: the earliest of them (this one, unless an earlier
   * one is pending too) becomes the head, due now, and a later head waits behind it again. While one
   * of them is in flight (a live lease) nothing moves: this one waits, and is released when that
   * send ends (recordDelivered, recordFailure).
   */
  async requeue(
    endpointId: string,
    eventId: string,
    retryForMs: number,
  ): Promise<'requeued' | 'not_found' | 'not_retryable'> {
    return this.prisma.sql.transaction(async (sql) => {
      await sql('SELECT pg_advisory_xact_lock_shared($1::bigint)', [FANOUT_LOCK])
      const rows = await sql<{ status: OutboundStatus; customerId: string }>(
        `SELECT status::text AS status, customer_id::text AS "customerId" FROM event_deliveries
          WHERE endpoint_id = $1::uuid AND event_id = $2::uuid FOR UPDATE`,
        [endpointId, eventId],
      )
      if (!rows[0]) return 'not_found'
      if (rows[0].status !== 'failed') return 'not_retryable'
      await sql(
        `UPDATE event_deliveries
            SET status = 'pending', next_attempt_at = NULL, lease_until = NULL,
                retry_until = now() + $3::bigint * interval '1 millisecond'
          WHERE endpoint_id = $1::uuid AND event_id = $2::uuid`,
        [endpointId, eventId, retryForMs],
      )
      await sql(
        `WITH q AS (
           SELECT endpoint_id, event_id, next_attempt_at, row_number() OVER (ORDER BY sequence) AS rn
             FROM event_deliveries
            WHERE endpoint_id = $1::uuid AND customer_id = $2::uuid AND status = 'pending'
         )
         UPDATE event_deliveries d SET next_attempt_at = CASE WHEN q.rn = 1 THEN now() END
           FROM q
          WHERE d.endpoint_id = q.endpoint_id AND d.event_id = q.event_id
            AND ((q.rn = 1 AND q.next_attempt_at IS NULL) OR (q.rn > 1 AND q.next_attempt_at IS NOT NULL))
            AND NOT EXISTS (
              SELECT 1 FROM event_deliveries l
               WHERE l.endpoint_id = $1::uuid AND l.customer_id = $2::uuid AND l.status = 'pending'
                 AND l.lease_until > now())`,
        [endpointId, rows[0].customerId],
      )
      return 'requeued'
    })
  }

  /**
   * Claims up to `limit` due deliveries for `leaseMs`, in one short transaction, taken one claimer
   * at a time over all instances (an advisory lock; claims take a few ms). Only heads can be due: of
   * a customer's pending deliveries to an endpoint, only the earliest has a next attempt (the relay
   * makes the others wait, and releases the next when one ends), so a customer's events go out
   * strictly in `sequence` order while other customers' flow on. A head is due when its endpoint is
   * enabled, its next attempt has come and no live lease holds it. At most `perEndpoint` are in
   * flight per endpoint, counting live leases held anywhere: a slow or dead endpoint cannot take all
   * of the instance's slots. Per endpoint it reads its due heads to count the live leases (a leased
   * head keeps the past next attempt it was claimed at; only an endpoint at its bound has more due
   * heads than leases) and then at most as many as it has free slots, through the partial index on
   * heads: never the deliveries waiting behind a failing head, however many. Nothing is held once
   * this returns; the lease (lease_until) and the incremented `attempts` stand for the claim.
   */
  async claim(limit: number, perEndpoint: number, leaseMs: number): Promise<ClaimedOutbound[]> {
    return this.prisma.sql.transaction(async (sql) => {
      await sql('SELECT pg_advisory_xact_lock($1::bigint)', [CLAIM_LOCK])
      type Row = {
        endpointId: string
        url: string
        secret: string
        previousSecret: string | null
        attempts: number
      } & { [K in keyof EventRecord as `e_${K}`]: EventRecord[K] }
      const rows = await sql<Row>(
        `WITH free AS (
           SELECT ep.id, least($1::int, $2::int - (
                    SELECT count(*)::int FROM event_deliveries l
                     WHERE l.endpoint_id = ep.id AND l.status = 'pending' AND l.next_attempt_at <= now()
                       AND l.lease_until > now())) AS n
             FROM webhook_endpoints ep WHERE ep.status = 'enabled'
         ), due AS (
           SELECT h.endpoint_id, h.event_id,
                  row_number() OVER (PARTITION BY h.endpoint_id ORDER BY h.next_attempt_at, h.position) AS rn
             FROM free CROSS JOIN LATERAL (
               SELECT d.endpoint_id, d.event_id, d.next_attempt_at, d.position FROM event_deliveries d
                WHERE d.endpoint_id = free.id AND d.status = 'pending' AND d.next_attempt_at <= now()
                  AND (d.lease_until IS NULL OR d.lease_until <= now())
                ORDER BY d.next_attempt_at, d.position LIMIT greatest(free.n, 0)) h
         ), picked AS (
           SELECT endpoint_id, event_id FROM due ORDER BY rn LIMIT $1::int
         )
         UPDATE event_deliveries d
            SET attempts = d.attempts + 1, lease_until = now() + $3::int * interval '1 millisecond'
           FROM picked, events e, webhook_endpoints ep
          WHERE d.endpoint_id = picked.endpoint_id AND d.event_id = picked.event_id
            AND e.id = d.event_id AND ep.id = d.endpoint_id
      RETURNING d.endpoint_id::text AS "endpointId", ep.url, ep.secret,
                CASE WHEN ep.previous_secret_expires_at > now() THEN ep.previous_secret END AS "previousSecret",
                d.attempts, e.id::text AS "e_id", e.type AS "e_type", e.customer_id::text AS "e_customerId",
                e.sequence AS "e_sequence", e.data AS "e_data", e.created_at AS "e_createdAt",
                e.position::text AS "e_position"`,
        [limit, perEndpoint, Math.ceil(leaseMs)],
      )
      return rows.map((r) => ({
        endpointId: r.endpointId,
        url: r.url,
        secret: r.secret,
        previousSecret: r.previousSecret,
        attempts: r.attempts,
        event: {
          id: r.e_id,
          type: r.e_type,
          customerId: r.e_customerId,
          sequence: r.e_sequence,
          data: r.e_data,
          createdAt: r.e_createdAt,
          position: r.e_position,
        },
      }))
    })
  }

  /**
   * Records a 2xx and releases the customer's next delivery to the endpoint. Not fenced by
   * `attempts`: the endpoint has the event whoever holds the claim now (a slower claimant that also
   * sends it does so with the same webhook-id).
   */
  async recordDelivered(c: ClaimedOutbound, status: number): Promise<void> {
    await this.prisma.sql.transaction(async (sql) => {
      await sql('SELECT pg_advisory_xact_lock_shared($1::bigint)', [FANOUT_LOCK])
      // Its snapshot is taken under the lock, so `behind` sees every delivery made behind this one.
      const ended = await sql<{ behind: boolean }>(
        `UPDATE event_deliveries d
            SET status = 'delivered', delivered_at = now(), last_status_code = $3, last_error = NULL,
                next_attempt_at = NULL, lease_until = NULL
          WHERE d.endpoint_id = $1::uuid AND d.event_id = $2::uuid AND d.status = 'pending'
      RETURNING EXISTS (
                  SELECT 1 FROM event_deliveries n
                   WHERE n.endpoint_id = d.endpoint_id AND n.customer_id = d.customer_id
                     AND n.status = 'pending' AND n.event_id <> d.event_id) AS behind`,
        [c.endpointId, c.event.id, status],
      )
      if (ended[0]?.behind) await sql(RELEASE_NEXT, [[c.endpointId], [c.event.customerId]])
    })
  }

  /**
   * Records a failed attempt (fenced by the claim): pending again after `delayMs`, or `failed` when
   * that would be past its retry window, which releases the customer's next delivery to the
   * endpoint. Pending behind an earlier one instead when that was re-queued meanwhile (which then
   * goes next). Null when the claim was lost.
   */
  async recordFailure(
    c: ClaimedOutbound,
    status: number | null,
    error: string,
    delayMs: number,
  ): Promise<OutboundStatus | null> {
    return this.prisma.sql.transaction(async (sql) => {
      await sql('SELECT pg_advisory_xact_lock_shared($1::bigint)', [FANOUT_LOCK])
      const rows = await sql<{ status: OutboundStatus; waiting: boolean }>(
        `WITH next AS (SELECT now() + $5::int * interval '1 millisecond' AS at)
         UPDATE event_deliveries d
            SET last_status_code = $3, last_error = $4, lease_until = NULL,
                status = CASE WHEN next.at > d.retry_until THEN 'failed'::"EventDeliveryStatus" ELSE 'pending' END,
                next_attempt_at = CASE
                  WHEN next.at > d.retry_until THEN NULL
                  WHEN EXISTS (
                    SELECT 1 FROM event_deliveries b
                     WHERE b.endpoint_id = d.endpoint_id AND b.customer_id = d.customer_id
                       AND b.status = 'pending' AND b.sequence < d.sequence) THEN NULL
                  ELSE next.at END
           FROM next
          WHERE d.endpoint_id = $1::uuid AND d.event_id = $2::uuid AND d.status = 'pending' AND d.attempts = $6::int
      RETURNING d.status::text AS status, d.next_attempt_at IS NULL AS waiting`,
        [c.endpointId, c.event.id, status, error, Math.round(delayMs), c.attempts],
      )
      const r = rows[0]
      if (r?.waiting) await sql(RELEASE_NEXT, [[c.endpointId], [c.event.customerId]])
      return r?.status ?? null
    })
  }

  /**
   * Releases every customer's next delivery to every endpoint that has pending ones but no head:
   * run once as a worker starts. The statements that end a head do this for their own customer;
   * this puts right what a version before the heads left behind (one that ended a head without
   * releasing the next, during a rolling upgrade).
   */
  async releaseOrphaned(): Promise<number> {
    return this.prisma.sql.transaction(async (sql) => {
      await sql('SELECT pg_advisory_xact_lock_shared($1::bigint)', [FANOUT_LOCK])
      const pairs = await sql<{ endpoints: string[]; customers: string[] }>(
        `WITH o AS (
           SELECT DISTINCT endpoint_id, customer_id FROM event_deliveries w
            WHERE status = 'pending' AND next_attempt_at IS NULL
              AND NOT EXISTS (
                SELECT 1 FROM event_deliveries h
                 WHERE h.endpoint_id = w.endpoint_id AND h.customer_id = w.customer_id
                   AND h.status = 'pending' AND h.next_attempt_at IS NOT NULL)
         )
         SELECT array(SELECT endpoint_id::text FROM o ORDER BY endpoint_id, customer_id) AS endpoints,
                array(SELECT customer_id::text FROM o ORDER BY endpoint_id, customer_id) AS customers`,
      )
      const p = pairs[0]!
      if (p.endpoints.length === 0) return 0
      return (await sql(`${RELEASE_NEXT} RETURNING 1`, [p.endpoints, p.customers])).length
    })
  }

  /**
   * The key generated for `name` (32 random bytes), made by the first instance that asks and read
   * by every other: for WEBHOOK_ENDPOINT_KEY outside production when it is unset.
   */
  async generatedKey(name: string): Promise<Buffer> {
    return generatedKey(this.prisma.sql.query, name)
  }
}
