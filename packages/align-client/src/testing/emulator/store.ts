/**
 * What the emulator knows: customers (with their documents), KYC flow links, webhook registrations
 * and virtual accounts.
 */
import type {
  AlignCustomer,
  AlignCustomerDocument,
  AlignStatusBreakdownEntry,
  AlignVirtualAccount,
  AlignWebhook,
} from '../../types.js'

/** What `stateFile` holds (also `snapshot()` / `restore()`). */
export type AlignEmulatorState = {
  version: 1
  port: number | null
  customers: { customer: AlignCustomer; documents: AlignCustomerDocument[] }[]
  links: { token: string; customerId: string; expiresAt: number }[]
  webhooks: AlignWebhook[]
  /** Absent in files written before virtual accounts existed (they load with none). */
  virtualAccounts?: { customerId: string; account: AlignVirtualAccount; createdAt: string }[]
}

/**
 * KYC state as set through the control API. `status_breakdown` replaces the rails Align reports
 * (e.g. approved overall but `uaefts` still pending); default: every rail carries `status`.
 */
export type AlignEmulatorKycState = {
  status: string
  sub_status: string | null
  status_breakdown?: AlignStatusBreakdownEntry[]
}

export type CustomerRecord = AlignEmulatorState['customers'][number]
export type LinkRecord = AlignEmulatorState['links'][number]
export type VirtualAccountRecord = NonNullable<AlignEmulatorState['virtualAccounts']>[number]

/**
 * Rails reported in `status_breakdown`, each carrying the customer's status: the currencies and
 * rails Align's `customer.kycs.updated` payload documents.
 */
const RAILS: readonly { currency: string; payment_rails: string }[] = [
  { currency: 'usd', payment_rails: 'ach' },
  { currency: 'usd', payment_rails: 'wire' },
  { currency: 'eur', payment_rails: 'sepa' },
  { currency: 'usd', payment_rails: 'swift' },
  { currency: 'aed', payment_rails: 'uaefts' },
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
  virtualAccounts = new Map<string, VirtualAccountRecord>()

  snapshot(port: number | null): AlignEmulatorState {
    return {
      version: 1,
      port,
      customers: [...this.customers.values()],
      links: [...this.links.values()],
      webhooks: [...this.webhooks.values()],
      virtualAccounts: [...this.virtualAccounts.values()],
    }
  }

  load(state: AlignEmulatorState): void {
    if (state.version !== 1) throw new Error(`unsupported emulator state version ${String(state.version)}`)
    this.customers = new Map(state.customers.map((c) => [c.customer.customer_id, c]))
    this.links = new Map(state.links.map((l) => [l.token, l]))
    // Files written before webhooks carried a status hold active registrations.
    this.webhooks = new Map(state.webhooks.map((w) => [w.id, { ...w, status: w.status ?? 'active' }]))
    this.virtualAccounts = new Map((state.virtualAccounts ?? []).map((v) => [v.account.id, v]))
  }

  clear(): void {
    this.customers.clear()
    this.links.clear()
    this.webhooks.clear()
    this.virtualAccounts.clear()
  }

  /** The customer's accounts, oldest first. */
  virtualAccountsOf(customerId: string): VirtualAccountRecord[] {
    return [...this.virtualAccounts.values()].filter((v) => v.customerId === customerId)
  }

  /** Sets a customer's KYC state (its breakdown follows); false for an unknown customer. */
  setKycState(customerId: string, state: AlignEmulatorKycState): boolean {
    const record = this.customers.get(customerId)
    if (!record) return false
    record.customer.kycs = {
      kyc_flow_link: record.customer.kycs?.kyc_flow_link ?? null,
      status: state.status,
      sub_status: state.sub_status,
      status_breakdown: state.status_breakdown ?? statusBreakdown(state.status),
    }
    return true
  }
}

/** Where a reviewer's approval (and sandbox `kyc.status.approve`) leaves a customer. */
export const KYC_APPROVED: AlignEmulatorKycState = {
  status: 'approved',
  sub_status: 'kyc_form_submission_accepted',
}
