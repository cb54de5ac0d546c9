/**
 * Align's virtual-account routes as the emulator answers them: KYC-gated creation (201 `active`
 * with deposit instructions for USD and EUR; 202 `pending` without them for AED and USD SWIFT),
 * list, retrieve, and the sandbox `issue_pending_virtual_account` simulation. Bank details are fake
 * but shaped like real ones (valid IBAN check digits, 9-digit routing numbers) and derived from the
 * account id, so the same account always shows the same details.
 */
import { createHash, randomUUID } from 'node:crypto'
import { createVirtualAccountSchema, simulateVirtualAccountSchema } from '../../core/schemas.js'
import type {
  AlignCreateVirtualAccountParams,
  AlignCustomer,
  AlignDepositInstructions,
  AlignVirtualAccount,
} from '../../types.js'
import { alignError, invalid, notFound, type Reply } from './http.js'
import type { ResolvedEmulatorOptions } from './options.js'
import type { RouteDefinition } from './router.js'
import type { EmulatorStore } from './store.js'
import type { WebhookEvent } from './webhook-sender.js'

export type VirtualAccountsContext = {
  store: EmulatorStore
  options: ResolvedEmulatorOptions
  /** Sends an event to every registered webhook (once the state is saved). */
  announce: (event: WebhookEvent) => void
}

/** The event Align documents for virtual accounts; it carries only the account's id. */
export const VIRTUAL_ACCOUNT_CREATED = 'virtual_account.created'

export function virtualAccountRoutes(ctx: VirtualAccountsContext): RouteDefinition[] {
  const api = (key: string, handler: RouteDefinition['handler']): RouteDefinition => ({
    kind: 'api',
    key,
    handler,
  })
  return [
    api('POST /v0/customers/:id/virtual-account/simulate', ({ params, body }) =>
      simulate(ctx, params['id'] ?? '', body),
    ),
    api('POST /v0/customers/:id/virtual-account', ({ params, body }) =>
      openVirtualAccount(ctx, params['id'] ?? '', body, { requireApprovedKyc: true }),
    ),
    api('GET /v0/customers/:id/virtual-account', ({ params }) => {
      const id = params['id'] ?? ''
      if (!ctx.store.customers.has(id)) return notFound('Customer')
      return { status: 200, json: { items: ctx.store.virtualAccountsOf(id).map((v) => v.account) } }
    }),
    api('GET /v0/customers/:id/virtual-account/:virtualAccountId', ({ params }) => {
      const id = params['id'] ?? ''
      if (!ctx.store.customers.has(id)) return notFound('Customer')
      const record = ctx.store.virtualAccounts.get(params['virtualAccountId'] ?? '')
      return record && record.customerId === id
        ? { status: 200, json: record.account }
        : notFound('Virtual account')
    }),
  ]
}

/**
 * Opens an account, checked in this order: unknown customer `404`; invalid body `400
 * validation_error`; KYC not approved (when required) `403 kyc_not_approved`; an account with
 * identical parameters `409 virtual_account_already_exists`. Announces `virtual_account.created`.
 */
export function openVirtualAccount(
  ctx: VirtualAccountsContext,
  customerId: string,
  body: unknown,
  { requireApprovedKyc }: { requireApprovedKyc: boolean },
): Reply {
  const record = ctx.store.customers.get(customerId)
  if (!record) return notFound('Customer')
  const parsed = createVirtualAccountSchema.safeParse(body)
  if (!parsed.success) return invalid('virtual account', parsed.error)
  const kycStatus = record.customer.kycs?.status ?? 'not_started'
  if (requireApprovedKyc && kycStatus !== 'approved') {
    return alignError(
      403,
      `Customer KYC is not approved (status ${kycStatus}); virtual accounts require approved KYC`,
      'kyc_not_approved',
    )
  }
  const params = parsed.data
  const rails = params.source_rails ?? null
  const duplicate = ctx.store
    .virtualAccountsOf(customerId)
    .some(({ account: a }) => sameParameters(a, params))
  if (duplicate) {
    return alignError(
      409,
      'A virtual account with identical parameters already exists for this customer',
      'virtual_account_already_exists',
    )
  }
  const id = randomUUID()
  // Align creates AED and USD SWIFT accounts asynchronously (202 pending), the others at once.
  const pending = params.source_currency === 'aed' || rails === 'swift'
  const account: AlignVirtualAccount = {
    id,
    status: pending ? 'pending' : 'active',
    source_currency: params.source_currency,
    source_rails: rails,
    destination_token: params.destination_token,
    destination_network: params.destination_network,
    destination_address: params.destination_address,
    deposit_instructions: pending ? null : depositInstructions(id, params, record.customer),
  }
  ctx.store.virtualAccounts.set(id, { customerId, account, createdAt: new Date().toISOString() })
  ctx.announce({ eventType: VIRTUAL_ACCOUNT_CREATED, entityId: id })
  // Align's documented 202 body is only {id, status}.
  return pending ? { status: 202, json: { id, status: 'pending' } } : { status: 201, json: account }
}

function sameParameters(account: AlignVirtualAccount, params: AlignCreateVirtualAccountParams): boolean {
  return (
    account.source_currency === params.source_currency &&
    (account.source_rails ?? null) === (params.source_rails ?? null) &&
    account.destination_token === params.destination_token &&
    account.destination_network === params.destination_network &&
    account.destination_address === params.destination_address
  )
}

/** `issue_pending_virtual_account`: pending → active with deposit instructions; 201 with the account. */
function simulate(ctx: VirtualAccountsContext, customerId: string, body: unknown): Reply {
  const parsed = simulateVirtualAccountSchema.safeParse(body)
  if (!parsed.success) return invalid('simulation', parsed.error)
  if (parsed.data.action !== 'issue_pending_virtual_account') {
    return alignError(400, `Unsupported action ${parsed.data.action}`, 'validation_error')
  }
  const customer = ctx.store.customers.get(customerId)
  if (!customer) return notFound('Customer')
  const record = ctx.store.virtualAccounts.get(parsed.data.virtual_account_id)
  if (!record || record.customerId !== customerId) return notFound('Virtual account')
  const { account } = record
  if (account.status !== 'pending') {
    return alignError(400, `Virtual account is already ${account.status}`, 'virtual_account_not_pending')
  }
  account.status = 'active'
  account.deposit_instructions = depositInstructions(
    account.id,
    {
      source_currency: account.source_currency as AlignCreateVirtualAccountParams['source_currency'],
      source_rails: account.source_rails === 'swift' ? 'swift' : undefined,
      destination_token: account.destination_token as AlignCreateVirtualAccountParams['destination_token'],
      destination_network:
        account.destination_network as AlignCreateVirtualAccountParams['destination_network'],
      destination_address: account.destination_address,
    },
    customer.customer,
  )
  if (ctx.options.virtualAccountWebhookOnIssue) {
    ctx.announce({ eventType: VIRTUAL_ACCOUNT_CREATED, entityId: account.id })
  }
  return { status: 201, json: account }
}

/** Fake bank details for an account, the same every time for the same id. */
export function depositInstructions(
  accountId: string,
  params: AlignCreateVirtualAccountParams,
  customer: AlignCustomer,
): AlignDepositInstructions {
  const digits = digitsOf(accountId)
  const holder =
    [customer.first_name, customer.last_name].filter(Boolean).join(' ') ||
    customer.company_name ||
    customer.email
  if (params.source_currency === 'eur') {
    return {
      payment_rails: ['sepa'],
      currency: 'eur',
      bank_name: 'Emulator Bank AG',
      bank_address: 'Emulatorstrasse 1, 10117 Berlin, Germany',
      account_holder_name: holder,
      iban: { bic: 'EMULDEFFXXX', iban_number: iban('DE', `10010010${digits.slice(0, 10)}`) },
    }
  }
  if (params.source_currency === 'aed') {
    return {
      payment_rails: ['uaefts'],
      currency: 'aed',
      bank_name: 'Emulator Bank PJSC',
      bank_address: 'Emulator Tower, Sheikh Zayed Road, Dubai, United Arab Emirates',
      account_holder_name: holder,
      iban: { bic: 'EMULAEADXXX', iban_number: iban('AE', `033${digits.slice(0, 16)}`) },
    }
  }
  const us = {
    currency: 'usd',
    bank_name: 'Emulator Bank, N.A.',
    bank_address: '1 Emulator Plaza, New York, NY 10001, United States',
    account_beneficiary_name: holder,
    account_beneficiary_address: addressOf(customer) ?? '1 Emulator Plaza, New York, NY 10001, United States',
  }
  const accountNumber = `8${digits.slice(0, 11)}`
  if (params.source_rails === 'swift') {
    return {
      ...us,
      payment_rails: ['swift'],
      international_wire: { account_number: accountNumber, routing_number: '026073150', bic: 'EMULUS33XXX' },
    }
  }
  return {
    ...us,
    payment_rails: ['ach', 'wire'],
    us: { account_number: accountNumber, routing_number: '026073150' },
  }
}

/** At least 20 decimal digits derived from the id. */
function digitsOf(id: string): string {
  const hex = createHash('sha256').update(id).digest('hex')
  return BigInt(`0x${hex}`).toString().padStart(20, '0')
}

/** An IBAN with valid ISO 13616 check digits (mod 97). */
function iban(country: string, bban: string): string {
  const numeric = `${bban}${country}00`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55))
  const check = 98n - (BigInt(numeric) % 97n)
  return `${country}${check.toString().padStart(2, '0')}${bban}`
}

function addressOf(customer: AlignCustomer): string | null {
  const a = customer.address
  if (!a) return null
  const text = [a.street_line_1, a.street_line_2, a.city, a.state, a.postal_code, a.country]
    .filter((part): part is string => typeof part === 'string' && part !== '')
    .join(', ')
  return text === '' ? null : text
}
