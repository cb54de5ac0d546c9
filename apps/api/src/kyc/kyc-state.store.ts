import { applyObservation, type ApplyDecision, type KycState, type KycStatus, type KycSubStatus } from '@align-kyc/domain'
import type { Tx } from '../database/tx.js'
import type { Customer } from '../generated/prisma/client.js'
import type { AlignReading } from './kyc-observation.js'

/**
 * Locks a customer's row (SELECT ... FOR UPDATE) and reads its KYC state in the same statement.
 * Returns null when there is no such customer. Repository-internal.
 */
export async function lockKycState(tx: Tx, customerId: string): Promise<KycState | null> {
  const rows = await tx.$queryRaw<{ s: KycStatus; ss: KycSubStatus | null; at: Date | null }[]>`
    SELECT kyc_status::text AS s, kyc_sub_status::text AS ss, kyc_observed_at AS at
    FROM customers WHERE id = ${customerId}::uuid FOR UPDATE`
  const r = rows[0]
  return r ? { status: r.s, subStatus: r.ss, observedAt: r.at } : null
}

/**
 * Applies one observation to a customer inside the caller's transaction: locks the customer row
 * (so concurrent webhooks, syncs and sessions for one customer serialise; pass `locked` when the
 * caller already holds the lock and has just read the state), lets the domain decide, then writes
 * the new state and its history entry together. Rails are refreshed unless the observation is stale
 * or unreadable. Returns the decision and the customer row as written. Repository-internal: only
 * *.repository.ts call it.
 */
export async function applyReadingLocked(
  tx: Tx,
  customerId: string,
  reading: AlignReading,
  locked?: KycState,
): Promise<{ decision: ApplyDecision; customer: Customer }> {
  const current = locked ?? (await lockKycState(tx, customerId))
  if (!current) throw new Error(`customer ${customerId} vanished while applying an observation`)
  const decision = applyObservation(current, reading.observation)
  const now = new Date()
  const refreshRails = decision.outcome === 'applied' || decision.reason === 'same_state' || decision.reason === 'terminal'
  const customer = await tx.customer.update({
    where: { id: customerId },
    data: {
      lastSyncedAt: now,
      kycObservedAt: decision.state.observedAt,
      ...(refreshRails ? { rails: reading.rails } : {}),
      ...(decision.outcome === 'applied'
        ? { kycStatus: decision.state.status, kycSubStatus: decision.state.subStatus, kycUpdatedAt: now }
        : {}),
    },
  })
  if (decision.outcome === 'applied') {
    const e = decision.entry
    await tx.kycStatusHistory.create({
      data: {
        customerId,
        status: e.status,
        subStatus: e.subStatus,
        previousStatus: e.previousStatus,
        previousSubStatus: e.previousSubStatus,
        source: e.source,
        occurredAt: e.occurredAt,
        recordedAt: now,
      },
    })
  }
  return { decision, customer }
}
