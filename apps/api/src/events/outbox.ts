import { randomUUID } from 'node:crypto'
import type { Sql } from '../database/sql.js'

/*
 * The outbox: every committed change is also an event, written by the transaction that makes the
 * change, so a change that rolls back emits nothing and every committed one emits exactly one
 * (api-contract.md, "Events for the product's own systems"). This file is the one entry point other
 * folders use (eslint.config.js lets them import it and nothing else of events/); the feed, the
 * relay that orders it and the outbound webhooks live beside it.
 */

/** Every event type the feed and the webhooks carry. */
export const EVENT_TYPES = [
  'customer.created',
  'customer.kyc.updated',
  'virtual_account.created',
  'virtual_account.updated',
  'customer.redacted',
] as const

/** One of EVENT_TYPES. */
export type EventType = (typeof EVENT_TYPES)[number]

/** What a change writes: its type, whose change it is and the event's `data` (JSON). */
export type NewEvent = { type: EventType; customerId: string; data: unknown }

/** The channel the outbox notifies on commit; the relay of every instance listens (relay.ts). */
export const EVENTS_CHANNEL = 'align_kyc_events'

/**
 * Appends one event inside the caller's transaction `sql` (never a bare pool query: the event must
 * commit or roll back with the change). Its `sequence` is the customer's next one, taken by
 * incrementing `customers.event_sequence` in the same statement: that row stays locked until the
 * transaction ends, so a customer's sequences have no gaps and are inserted in order (the relay
 * relies on the latter). The statement also NOTIFYs EVENTS_CHANNEL with the customer's id as the
 * payload, which PostgreSQL delivers only at commit: that is what wakes the relay, on every instance,
 * once the event is visible, and what tells the KYC status streams of that customer (kyc-streams.ts)
 * to look again.
 *
 * Throws if the customer does not exist (a bug in the caller: nothing is written then).
 */
export async function appendEvent(sql: Sql, e: NewEvent): Promise<void> {
  const rows = await sql(
    `WITH s AS (
       UPDATE customers SET event_sequence = event_sequence + 1 WHERE id = $2::uuid RETURNING event_sequence
     )
     INSERT INTO events (id, type, customer_id, sequence, data)
     SELECT $1::uuid, $3, $2::uuid, s.event_sequence, $4::jsonb
       FROM s, (SELECT pg_notify('${EVENTS_CHANNEL}', $2::text)) n
     RETURNING sequence`,
    [randomUUID(), e.customerId, e.type, JSON.stringify(e.data)],
  )
  if (rows.length !== 1) throw new Error(`appendEvent: customer ${e.customerId} does not exist`)
}
