import type { AlignCustomer } from '@align-kyc/align-client'
import type { KycObservation, ObservationSource, RailStatus } from '@align-kyc/domain'

/** What one look at an Align customer says about KYC: the observation and the per-rail breakdown. */
export type AlignReading = { observation: KycObservation; rails: RailStatus[] }

/**
 * Reads an Align customer as a domain observation. Values are kept as Align sent them (the domain
 * decides what unknown ones mean); `payment_rails` may be one rail or a list.
 */
export function readAlignCustomer(
  customer: AlignCustomer,
  source: ObservationSource,
  observedAt: Date,
): AlignReading {
  const kycs = customer.kycs ?? null
  const rails: RailStatus[] = (kycs?.status_breakdown ?? []).flatMap((b) =>
    (Array.isArray(b.payment_rails) ? b.payment_rails : [b.payment_rails]).map((paymentRail) => ({
      currency: b.currency,
      paymentRail,
      status: b.status,
    })),
  )
  return {
    observation: {
      status: kycs?.status || 'not_started',
      subStatus: kycs?.sub_status || null,
      observedAt,
      source,
    },
    rails,
  }
}
