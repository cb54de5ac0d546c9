import { randomUUID } from 'node:crypto'
import {
  applyObservation,
  decideRailsRefresh,
  evaluateCapabilities,
  type ApplyDecision,
  type KycState,
  type KycStatus,
  type KycSubStatus,
} from '@align-kyc/domain'
import {
  CUSTOMER_SQL_COLUMNS,
  toCustomerRecord,
  type CustomerRecord,
  type CustomerRow,
} from './customer.record.js'
import type { Sql } from '../database/sql.js'
import { appendEvent } from '../events/outbox.js'
import type { AlignReading } from './kyc-observation.js'

/*
 * The one write path of a KYC observation, in plain SQL so it runs both inside a Prisma interactive
 * transaction (prismaSql: webhooks) and on the pg/PGlite connection (SqlDatabase.transaction:
 * customer creation, the KYC paths), where Prisma's per-statement cost was too high. Only
 * repositories call it (customers, KYC, webhooks).
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
 * the new state and its history entry in one statement, with the observation's rails when the
 * domain says so (decideRailsRefresh). An applied change also writes its `customer.kyc.updated`
 * event (events/outbox.ts) in the same transaction; an ignored observation (the same state again, a
 * stale or terminal one) writes none. Returns the decision and the customer as written.
 */
export async function applyReadingLocked(
  sql: Sql,
  customerId: string,
  reading: AlignReading,
  locked?: KycState,
): Promise<{ decision: ApplyDecision; customer: CustomerRecord }> {
  const current = locked ?? (await lockKycState(sql, customerId))
  if (!current) throw new Error(`customer ${customerId} vanished while applying an observation`)
  const applied = await writeObservation(sql, customerId, reading, current)
  if (!applied) throw new Error(`customer ${customerId} vanished while applying an observation`)
  return applied
}

async function writeObservation(
  sql: Sql,
  customerId: string,
  reading: AlignReading,
  current: KycState,
): Promise<{ decision: ApplyDecision; customer: CustomerRecord } | null> {
  const decision = applyObservation(current, reading.observation)
  const now = new Date()
  const params: unknown[] = [customerId, now, decision.state.observedAt]
  const param = (v: unknown) => `$${params.push(v)}`
  const sets = ['last_synced_at = $2', 'updated_at = $2', 'kyc_observed_at = $3']
  if (decideRailsRefresh(decision).refresh)
    sets.push(`rails = ${param(JSON.stringify(reading.rails))}::jsonb`)
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
  const rows = await sql<CustomerRow>(
    `WITH c AS (UPDATE customers SET ${sets.join(', ')} WHERE id = $1::uuid RETURNING *)${history}
     SELECT ${CUSTOMER_SQL_COLUMNS} FROM c`,
    params,
  )
  if (!rows[0]) return null
  const customer = toCustomerRecord(rows[0])
  if (decision.outcome === 'applied') {
    const e = decision.entry
    await appendEvent(sql, {
      type: 'customer.kyc.updated',
      customerId,
      data: {
        status: e.status,
        subStatus: e.subStatus,
        previousStatus: e.previousStatus,
        previousSubStatus: e.previousSubStatus,
        source: e.source,
        occurredAt: e.occurredAt.toISOString(),
        capabilities: evaluateCapabilities({ kyc: customer.kyc, rails: customer.rails }),
      },
    })
  }
  return { decision, customer }
}
