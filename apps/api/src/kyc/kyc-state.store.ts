import { applyObservation, type ApplyDecision, type KycState } from '@align-kyc/domain'
import type { Tx } from '../database/tx.js'
import type { AlignReading } from './kyc-observation.js'

/**
 * Applies one observation to a customer inside the caller's transaction: locks the customer row
 * (so concurrent webhooks, syncs and sessions for one customer serialise), lets the domain decide,
 * then writes the new state and its history entry together. Rails are refreshed unless the
 * observation is stale or unreadable. Repository-internal: only *.repository.ts call it.
 */
export async function applyReadingLocked(tx: Tx, customerId: string, reading: AlignReading): Promise<ApplyDecision> {
  await tx.$executeRaw`SELECT 1 FROM customers WHERE id = ${customerId}::uuid FOR UPDATE`
  const row = await tx.customer.findUniqueOrThrow({
    where: { id: customerId },
    select: { kycStatus: true, kycSubStatus: true, kycObservedAt: true },
  })
  const current: KycState = { status: row.kycStatus, subStatus: row.kycSubStatus, observedAt: row.kycObservedAt }
  const decision = applyObservation(current, reading.observation)
  const now = new Date()
  const refreshRails = decision.outcome === 'applied' || decision.reason === 'same_state' || decision.reason === 'terminal'
  await tx.customer.update({
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
  return decision
}
