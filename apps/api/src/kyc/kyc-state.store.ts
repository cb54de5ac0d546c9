import { randomUUID } from 'node:crypto'
import {
  applyObservation,
  type ApplyDecision,
  type KycState,
  type KycStatus,
  type KycSubStatus,
} from '@align-kyc/domain'
import {
  CUSTOMER_SQL_COLUMNS,
  customerFromSqlRow,
  type CustomerRecord,
  type CustomerSqlRow,
} from '../customers/customer.record.js'
import type { Sql } from '../database/sql.js'
import type { AlignReading } from './kyc-observation.js'

/*
 * The one write path of a KYC observation, in plain SQL so it runs both inside a Prisma interactive
 * transaction (prismaSql: webhooks, customer creation) and on the pg/PGlite connection of the link
 * path (SqlDatabase.transaction), where Prisma's per-statement cost was too high. Repository-internal.
 */

/** Locks a customer's row (SELECT ... FOR UPDATE) and reads its KYC state; null if there is none. */
export async function lockKycState(sql: Sql, customerId: string): Promise<KycState | null> {
  const rows = await sql<{ s: KycStatus; ss: KycSubStatus | null; at: Date | null }>(
    `SELECT kyc_status::text AS s, kyc_sub_status::text AS ss, kyc_observed_at AS at
       FROM customers WHERE id = $1::uuid FOR UPDATE`,
    [customerId],
  )
  const r = rows[0]
  return r ? { status: r.s, subStatus: r.ss, observedAt: r.at } : null
}

/**
 * Applies one observation to a customer inside the caller's transaction: locks the customer row
 * (so concurrent webhooks, syncs and sessions for one customer serialise; pass `locked` when the
 * caller already holds the lock and has read the state since), lets the domain decide, then writes
 * the new state and its history entry in one statement. Rails are refreshed unless the observation
 * is stale or unreadable. Returns the decision and the customer as written.
 */
export async function applyReadingLocked(
  sql: Sql,
  customerId: string,
  reading: AlignReading,
  locked?: KycState,
): Promise<{ decision: ApplyDecision; customer: CustomerRecord }> {
  const current = locked ?? (await lockKycState(sql, customerId))
  if (!current) throw new Error(`customer ${customerId} vanished while applying an observation`)
  const applied = await writeObservation(sql, customerId, reading, current, {
    onlyIfUnchanged: false,
    commit: 'durable',
  })
  if (!applied) throw new Error(`customer ${customerId} vanished while applying an observation`)
  return applied
}

/** How a write's transaction commits (see WriteOptions.commit). */
export type CommitMode = 'durable' | 'async'

export type WriteOptions = {
  /**
   * `durable` (default): the commit returns once the WAL is flushed to disk. `async`: the statement
   * sets `synchronous_commit = off` for its own transaction only (`set_config(..., true)`), so the
   * commit returns without waiting for the flush (about 1 ms here). The write is atomic and visible
   * to every session at once either way; what `async` gives up is the last ~0.6 s of such commits
   * if the PostgreSQL server itself crashes (its WAL writer flushes every `wal_writer_delay`). Only
   * for data that is a copy of Align's and is read again on its own (webhook, sync, reconciler).
   */
  commit?: CommitMode
}

/**
 * Applies one observation in one statement (its own transaction when `sql` autocommits) without
 * holding a lock beforehand: the domain decides against `expected`, a state read earlier, and the
 * write only happens if the row still holds exactly that state (the UPDATE re-checks it on the
 * latest row version). Null when it changed meanwhile: the caller then applies under the lock
 * (applyReadingLocked), deciding against the state as it is now.
 */
export async function applyReadingIfUnchanged(
  sql: Sql,
  customerId: string,
  reading: AlignReading,
  expected: KycState,
  options: WriteOptions = {},
): Promise<{ decision: ApplyDecision; customer: CustomerRecord } | null> {
  return writeObservation(sql, customerId, reading, expected, {
    onlyIfUnchanged: true,
    commit: options.commit ?? 'durable',
  })
}

async function writeObservation(
  sql: Sql,
  customerId: string,
  reading: AlignReading,
  current: KycState,
  mode: { onlyIfUnchanged: boolean; commit: CommitMode },
): Promise<{ decision: ApplyDecision; customer: CustomerRecord } | null> {
  const decision = applyObservation(current, reading.observation)
  const now = new Date()
  const refreshRails =
    decision.outcome === 'applied' || decision.reason === 'same_state' || decision.reason === 'terminal'

  const params: unknown[] = [customerId, now, decision.state.observedAt]
  const param = (v: unknown) => `$${params.push(v)}`
  const sets = ['last_synced_at = $2', 'updated_at = $2', 'kyc_observed_at = $3']
  if (refreshRails) sets.push(`rails = ${param(JSON.stringify(reading.rails))}::jsonb`)
  let history = ''
  if (decision.outcome === 'applied') {
    const e = decision.entry
    sets.push(
      `kyc_status = ${param(e.status)}::"KycStatus"`,
      `kyc_sub_status = ${param(e.subStatus)}::"KycSubStatus"`,
      'kyc_updated_at = $2',
    )
    history = `, h AS (
      INSERT INTO kyc_status_history
        (id, customer_id, status, sub_status, previous_status, previous_sub_status, source, occurred_at, recorded_at)
      SELECT ${param(randomUUID())}::uuid, c.id, c.kyc_status, c.kyc_sub_status, ${param(e.previousStatus)}::"KycStatus",
             ${param(e.previousSubStatus)}::"KycSubStatus", ${param(e.source)}::"ObservationSource", ${param(e.occurredAt)}, $2
        FROM c)`
  }
  const guard = mode.onlyIfUnchanged
    ? ` AND kyc_status = ${param(current.status)}::"KycStatus"` +
      ` AND kyc_sub_status IS NOT DISTINCT FROM ${param(current.subStatus)}::"KycSubStatus"` +
      ` AND kyc_observed_at IS NOT DISTINCT FROM ${param(current.observedAt)}::timestamptz`
    : ''
  // Evaluated for each row of c, i.e. at most once (one customer); when the guard matched nothing it
  // never runs, and the statement, having written nothing, commits durably. `true`: local to this
  // transaction, so the pooled connection's later transactions commit durably again.
  const asyncCommit =
    mode.commit === 'async' ? ` WHERE set_config('synchronous_commit', 'off', true) IS NOT NULL` : ''
  const rows = await sql<CustomerSqlRow>(
    `WITH c AS (UPDATE customers SET ${sets.join(', ')} WHERE id = $1::uuid${guard} RETURNING *)${history}
     SELECT ${CUSTOMER_SQL_COLUMNS} FROM c${asyncCommit}`,
    params,
  )
  return rows[0] ? { decision, customer: customerFromSqlRow(rows[0]) } : null
}
