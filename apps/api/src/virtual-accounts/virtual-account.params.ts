import {
  depositBeneficiary,
  isIbanDepositInstructions,
  isInternationalWireDepositInstructions,
  isUsDepositInstructions,
  type AlignVirtualAccount,
  type AlignVirtualAccountNetwork,
  type AlignVirtualAccountToken,
} from '@align-kyc/align-client'
import type { VirtualAccountCurrency } from '@align-kyc/domain'
import type { AlignAccountState } from './virtual-accounts.repository.js'

/** The tokens and networks Align delivers to (the client's lists: Align's enums). */
export {
  ALIGN_VIRTUAL_ACCOUNT_NETWORKS as VIRTUAL_ACCOUNT_NETWORKS,
  ALIGN_VIRTUAL_ACCOUNT_TOKENS as VIRTUAL_ACCOUNT_TOKENS,
} from '@align-kyc/align-client'
export type VirtualAccountToken = AlignVirtualAccountToken
export type VirtualAccountNetwork = AlignVirtualAccountNetwork

/**
 * One parameter set of a virtual account: what makes two requests "the same" (natural idempotency).
 * `destinationAddress` is kept as the first request wrote it (an EVM checksum's casing included);
 * `paramsKey` holds it normalised (EVM: lower-case; base58 as given), so the same wallet written in
 * two casings is one account.
 */
export type VirtualAccountParams = {
  customerId: string
  sourceCurrency: VirtualAccountCurrency
  sourceRails: 'swift' | null
  destinationToken: VirtualAccountToken
  destinationNetwork: VirtualAccountNetwork
  destinationAddress: string
  /** The five fields joined: the unique key of a customer's account */
  paramsKey: string
}

export function toParams(p: Omit<VirtualAccountParams, 'paramsKey'>): VirtualAccountParams {
  return {
    ...p,
    paramsKey: [
      p.sourceCurrency,
      p.sourceRails ?? '',
      p.destinationToken,
      p.destinationNetwork,
      normalizeAddress(p.destinationNetwork, p.destinationAddress),
    ].join('|'),
  }
}

/** Deposit instructions as the API returns them (Align's, camel-cased). */
export type DepositInstructions = {
  currency: string
  paymentRails: string[]
  bankName: string | null
  bankAddress: string | null
  beneficiaryName: string | null
  beneficiaryAddress: string | null
  us?: { accountNumber: string; routingNumber: string }
  iban?: { bic: string | null; ibanNumber: string }
  internationalWire?: { accountNumber: string; routingNumber: string | null; bic: string }
}

const EVM_NETWORKS: ReadonlySet<string> = new Set(['polygon', 'ethereum', 'base', 'arbitrum'])

/** An address as compared: EVM hex is case-insensitive (the checksum is only in the casing). */
export function normalizeAddress(network: string, address: string): string {
  return EVM_NETWORKS.has(network.toLowerCase()) ? address.trim().toLowerCase() : address.trim()
}

/** What Align says about one of its accounts, as stored here. */
export function accountState(account: AlignVirtualAccount): AlignAccountState {
  const alignStatus = String(account.status)
  return {
    alignVirtualAccountId: account.id,
    // Only Align's `active` makes an account usable; any other value (including ones Align adds later)
    // is pending here, and kept as seen in `alignStatus`.
    status: alignStatus.toLowerCase() === 'active' ? 'active' : 'pending',
    alignStatus,
    depositInstructions: depositInstructions(account),
  }
}

function depositInstructions(account: AlignVirtualAccount): DepositInstructions | null {
  const d = account.deposit_instructions
  if (!d) return null
  const beneficiary = depositBeneficiary(d)
  return {
    currency: String(d.currency ?? account.source_currency ?? ''),
    paymentRails: d.payment_rails.map(String),
    bankName: d.bank_name ?? null,
    bankAddress: d.bank_address ?? null,
    beneficiaryName: beneficiary.name,
    beneficiaryAddress: beneficiary.address,
    ...(isUsDepositInstructions(d)
      ? { us: { accountNumber: d.us.account_number, routingNumber: d.us.routing_number } }
      : {}),
    ...(isIbanDepositInstructions(d)
      ? { iban: { bic: d.iban.bic ?? null, ibanNumber: d.iban.iban_number } }
      : {}),
    ...(isInternationalWireDepositInstructions(d)
      ? {
          internationalWire: {
            accountNumber: d.international_wire.account_number,
            routingNumber: d.international_wire.routing_number ?? null,
            bic: d.international_wire.bic,
          },
        }
      : {}),
  }
}

/**
 * Does Align's account answer this request? Every field Align reports must equal the request's
 * (the address normalised as above); a field Align leaves out (e.g. the source currency of an account
 * whose deposit instructions are not issued yet) does not decide. The source currency is read from
 * `source_currency`, else from the deposit instructions; SWIFT from `source_rails`, else from the
 * instructions' rails.
 */
export function matchesParams(account: AlignVirtualAccount, p: VirtualAccountParams): boolean {
  const same = (a: unknown, b: string) => a === undefined || a === null || String(a).toLowerCase() === b
  const d = account.deposit_instructions
  const currency = account.source_currency ?? d?.currency
  // source_rails reads back as 'swift' or null (some SDKs show 'ach'/'sepa' there: only swift counts).
  const swift =
    account.source_rails != null
      ? String(account.source_rails).toLowerCase() === 'swift'
      : d
        ? d.payment_rails.some((r) => String(r).toLowerCase() === 'swift')
        : undefined
  return (
    same(currency, p.sourceCurrency) &&
    (swift === undefined || swift === (p.sourceRails === 'swift')) &&
    same(account.destination_token, p.destinationToken) &&
    same(account.destination_network, p.destinationNetwork) &&
    normalizeAddress(p.destinationNetwork, String(account.destination_address ?? '')) ===
      normalizeAddress(p.destinationNetwork, p.destinationAddress)
  )
}
