/** What the emulator knows: customers (with their documents), KYC flow links and webhook registrations. */
import type { AlignCustomer, AlignCustomerDocument, AlignWebhook } from '../../types.js'

/** What `stateFile` holds (also `snapshot()` / `restore()`). */
export type AlignEmulatorState = {
  version: 1
  port: number | null
  customers: { customer: AlignCustomer; documents: AlignCustomerDocument[] }[]
  links: { token: string; customerId: string; expiresAt: number }[]
  webhooks: AlignWebhook[]
}

/** KYC state as set through the control API. */
export type AlignEmulatorKycState = { status: string; sub_status: string | null }

export type CustomerRecord = AlignEmulatorState['customers'][number]
export type LinkRecord = AlignEmulatorState['links'][number]

/** Rails reported in `status_breakdown`, each carrying the customer's status. */
const RAILS: readonly { currency: string; payment_rails: string }[] = [
  { currency: 'usd', payment_rails: 'ach' },
  { currency: 'usd', payment_rails: 'wire' },
  { currency: 'eur', payment_rails: 'sepa' },
]

export function statusBreakdown(
  status: string,
): { currency: string; payment_rails: string; status: string }[] {
  return RAILS.map((rail) => ({ ...rail, status }))
}

export class EmulatorStore {
  customers = new Map<string, CustomerRecord>()
  links = new Map<string, LinkRecord>()
  webhooks = new Map<string, AlignWebhook>()

  snapshot(port: number | null): AlignEmulatorState {
    return {
      version: 1,
      port,
      customers: [...this.customers.values()],
      links: [...this.links.values()],
      webhooks: [...this.webhooks.values()],
    }
  }

  load(state: AlignEmulatorState): void {
    if (state.version !== 1) throw new Error(`unsupported emulator state version ${String(state.version)}`)
    this.customers = new Map(state.customers.map((c) => [c.customer.customer_id, c]))
    this.links = new Map(state.links.map((l) => [l.token, l]))
    // Files written before webhooks carried a status hold active registrations.
    this.webhooks = new Map(state.webhooks.map((w) => [w.id, { ...w, status: w.status ?? 'active' }]))
  }

  clear(): void {
    this.customers.clear()
    this.links.clear()
    this.webhooks.clear()
  }

  /** Sets a customer's KYC state (its breakdown follows); false for an unknown customer. */
  setKycState(customerId: string, state: AlignEmulatorKycState): boolean {
    const record = this.customers.get(customerId)
    if (!record) return false
    record.customer.kycs = {
      kyc_flow_link: record.customer.kycs?.kyc_flow_link ?? null,
      status: state.status,
      sub_status: state.sub_status,
      status_breakdown: statusBreakdown(state.status),
    }
    return true
  }
}

/** Where a reviewer's approval (and sandbox `kyc.status.approve`) leaves a customer. */
export const KYC_APPROVED: AlignEmulatorKycState = {
  status: 'approved',
  sub_status: 'kyc_form_submission_accepted',
}
