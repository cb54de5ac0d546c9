import { randomUUID } from 'node:crypto'
import type { Sql } from './sql.js'

/*
 * Leases: how work that waits on Align (a link renewal, a customer creation) is made exclusive across
 * every instance without holding a connection, a transaction or a lock while Align answers (STYLE
 * lesson 16). A short transaction takes the lease (one row in `leases`) and commits; the Align call
 * runs with nothing held; a second short transaction records the result and ends the lease, but only
 * if it is still this claim's (`claim_id` is the fencing token). Others wait on the lease by polling
 * (leasePollDelayMs). A holder that dies blocks nobody for longer than the lease: an expired lease is
 * taken over by the next claimant. Repository-internal, like sql.ts.
 */

/** A lease held: its key and the claim id that fences it. */
export type Lease = { key: string; claimId: string }

/** Added to the Align deadline (ALIGN_TIMEOUT_MS) for a lease's length: the database work on either side. */
export const LEASE_MARGIN_MS = 5_000

/**
 * Takes `key` for `ms` if it is free or its lease ran out; null when someone else holds it. Taken
 * in the caller's transaction or in statements of its own, committed asynchronously either way (see
 * below: a claim holds nothing a database crash must keep); a claimant that then decides it has
 * nothing to do ends it again (endLease). A lease row still being written by another
 * transaction (taken, or ended by a record) is waited for, so whatever that transaction committed is
 * visible to the caller's next statement (READ COMMITTED takes a new snapshot per statement).
 *
 * Two statements rather than one INSERT ... ON CONFLICT DO UPDATE ... WHERE expired: that form locks
 * a live lease's row even when it updates nothing, so a burst of waiters would queue on the lock one
 * commit after another (measured: 100 requests for one customer took 1.8 s at p50). DO NOTHING and
 * an UPDATE whose WHERE does not match take no lock on a live lease.
 */
export async function takeLease(sql: Sql, key: string, ms: number): Promise<Lease | null> {
  // The claim's commit need not wait for its WAL flush (~2.3 ms of the ~2.7 ms a commit takes on
  // this machine's PostgreSQL): it is visible to every other session at once all the same, and what
  // a database crash could lose is only a lease (whose holder's record then finds it gone and waits
  // for whoever claims next) or a virtual-account request row (an account Align made meanwhile is
  // adopted on Align's 409 by the next request). Callers' claim transactions write nothing else.
  // set_config(..., true) is SET LOCAL, folded into the insert to save a round trip.
  const params = [key, randomUUID(), Math.ceil(ms)]
  const inserted = await sql<{ claim_id: string }>(
    `INSERT INTO leases (key, claim_id, expires_at)
     SELECT $1, $2::uuid, now() + $3::int * interval '1 millisecond'
       FROM (SELECT set_config('synchronous_commit', 'off', true)) async_commit
     ON CONFLICT (key) DO NOTHING
     RETURNING claim_id::text AS claim_id`,
    params,
  )
  const rows = inserted.length
    ? inserted
    : // Held, or left behind by a holder that died: taken over once it has run out.
      await sql<{ claim_id: string }>(
        `UPDATE leases SET claim_id = $2::uuid, expires_at = now() + $3::int * interval '1 millisecond'
          WHERE key = $1 AND expires_at <= now()
         RETURNING claim_id::text AS claim_id`,
        params,
      )
  return rows[0] ? { key, claimId: rows[0].claim_id } : null
}

/** Ends a lease if it is still this claim's; false when it ran out and someone else took it over. */
export async function endLease(sql: Sql, lease: Lease): Promise<boolean> {
  const rows = await sql(`DELETE FROM leases WHERE key = $1 AND claim_id = $2::uuid RETURNING 1 AS ended`, [
    lease.key,
    lease.claimId,
  ])
  return rows.length === 1
}

/**
 * How long a waiter sleeps before its `attempt`-th look at a lease held by someone else: 10 ms,
 * growing by half each time to at most 50 ms, jittered (so waiters on many instances spread out).
 * A look is one indexed read; the holder's Align call is the wait that matters.
 */
export function leasePollDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(50, 10 * 1.5 ** attempt)
  return ceiling / 2 + random() * (ceiling / 2)
}
