import { setTimeout as sleep } from 'node:timers/promises'
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common'
import {
  AlignApiError,
  AlignConflictError,
  isAlignKycRefusal,
  type AlignCreateVirtualAccountParams,
  type AlignVirtualAccount,
} from '@align-kyc/align-client'
import { decideVirtualAccount, type VirtualAccountDecision } from '@align-kyc/domain'
import { AlignGateway } from '../align/align.module.js'
import { AppError } from '../common/app-error.js'
import { WebhookHandlers, type HandledDelivery, type HandlerResult } from '../common/webhook-handlers.js'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import { LEASE_MARGIN_MS, leasePollDelayMs, type Lease } from '../database/leases.js'
import type { CustomerRecord } from '../kyc-state/customer.record.js'
import { readAlignCustomer } from '../kyc-state/kyc-observation.js'
import { validateDestinationAddress } from './destination-address.js'
import type { CreateVirtualAccountDto } from './dto/virtual-account.dto.js'
import { accountState, matchesParams, toParams, type VirtualAccountParams } from './virtual-account.params.js'
import {
  VirtualAccountsRepository,
  type PendingRequest,
  type VirtualAccountRecord,
} from './virtual-accounts.repository.js'

/** Align's event for a new virtual account; it carries only the account's id. */
export const VIRTUAL_ACCOUNT_CREATED_EVENT = 'virtual_account.created'

/** How many customers with unanswered requests a webhook for an unknown account looks through. */
const WEBHOOK_MATCH_CUSTOMERS = 20

@Injectable()
export class VirtualAccountsService implements OnModuleInit {
  private readonly logger = new Logger('VirtualAccounts')
  /** A create's lease outlives its Align calls: a list, the create, and a list after an unknown outcome. */
  private readonly leaseMs: number

  constructor(
    private readonly accounts: VirtualAccountsRepository,
    private readonly align: AlignGateway,
    private readonly handlers: WebhookHandlers,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.leaseMs = 3 * config.align.timeoutMs + LEASE_MARGIN_MS
  }

  onModuleInit(): void {
    this.handlers.register(VIRTUAL_ACCOUNT_CREATED_EVENT, (d, signal) => this.applyCreatedWebhook(d, signal))
  }

  /**
   * Opens a virtual account, or returns the one these parameters opened before (`created: false`,
   * no Align call). In order: the address is checked for its network (400), the customer found (404),
   * the KYC gate decided (409, before any Align call); then the create is claimed with a lease on
   * (customer, parameters), so identical concurrent requests on any number of instances make one
   * Align call and wait for its result. Align's create is a POST with no idempotency key: after an
   * unknown outcome (timeout, reset, 5xx) the customer's accounts at Align are listed and matched to
   * the parameters, now and by every later claimant, before anything is created again.
   */
  async create(
    customerId: string,
    dto: CreateVirtualAccountDto,
  ): Promise<{ account: VirtualAccountRecord; created: boolean }> {
    const address = validateDestinationAddress(dto.destinationNetwork, dto.destinationAddress)
    if (!address.ok)
      throw new AppError('validation_failed', 'One or more fields are invalid.', {
        errors: [{ field: 'destinationAddress', message: address.message }],
      })
    const customer = await this.accounts.findCustomer(customerId)
    if (!customer) throw customerNotFound(customerId)
    if (customer.redactedAt) {
      throw new AppError(
        'customer_redacted',
        "The customer's personal data was erased: no new virtual account.",
      )
    }
    const params = toParams({
      customerId,
      sourceCurrency: dto.sourceCurrency,
      sourceRails: dto.sourceRails ?? null,
      destinationToken: dto.destinationToken,
      destinationNetwork: dto.destinationNetwork,
      destinationAddress: dto.destinationAddress.trim(),
    })
    const refusal = gateRefusal(gate(customer, params))
    if (refusal) throw refusal

    for (let look = 0; ;) {
      const claim = await this.accounts.claimCreate(params, this.leaseMs)
      if (claim.kind === 'existing') return { account: claim.account, created: false }
      if (claim.kind === 'busy') {
        await sleep(leasePollDelayMs(look++))
        continue
      }
      return await this.createHolding(customer, claim.request, claim.lease, claim.recover)
    }
  }

  /** Holding the lease: nothing else is held while Align answers. */
  private async createHolding(
    customer: CustomerRecord,
    request: PendingRequest,
    lease: Lease,
    recover: boolean,
  ): Promise<{ account: VirtualAccountRecord; created: boolean }> {
    let released = false
    const release = async () => {
      if (released) return
      released = true
      await this.accounts.release(lease).catch((e: unknown) => {
        this.logger.warn(`virtual-account lease not released: ${String(e)}`) // it runs out on its own
      })
    }
    const record = async (account: AlignVirtualAccount, how: string | null) => {
      const recorded = await this.accounts.record(request.requestId, accountState(account), lease)
      released = true // record ended the lease in its own transaction
      if (!recorded) throw new Error(`virtual-account request ${request.requestId} vanished while recording`)
      if (how) this.logger.log(`virtual account ${recorded.account.id} ${how}`)
      // A create is answered 201 however its account reached this service (the answer, a recovery, or
      // the webhook while Align's answer was on its way): the caller's request is what opened it.
      return { account: recorded.account, created: true }
    }
    try {
      if (recover) {
        const found = await this.findAtAlign(customer, request)
        if (found) return await record(found, 'recovered by listing')
      }
      let created: AlignVirtualAccount
      try {
        created = await this.align.client.virtualAccounts.create(customer.alignCustomerId, alignBody(request))
      } catch (e) {
        if (isAlignKycRefusal(e)) {
          released = true
          await this.accounts.drop(request, lease)
          throw await this.refusedByAlign(customer, request.params)
        }
        if (e instanceof AlignConflictError) {
          // Align has an account with these parameters already (an earlier create whose answer was
          // lost, or one made outside this service): record that one.
          const found = await this.findAtAlign(customer, request)
          if (found) return await record(found, 'adopted after a 409 from Align')
        }
        if (isDefinitiveRefusal(e)) {
          released = true
          await this.accounts.drop(request, lease)
          throw e
        }
        // Unknown outcome: Align may have created it. Look now; every later claim looks first too.
        await this.accounts.markUnknown(request)
        const found = await this.findAtAlign(customer, request).catch(() => null)
        if (found) return await record(found, 'recovered after an unknown outcome')
        this.logger.warn(
          `virtual-account create for customer ${customer.id}: outcome unknown (${e instanceof Error ? e.name : 'error'}); the next request or Align's webhook recovers it`,
        )
        throw e
      }
      return await record(created, null)
    } finally {
      await release()
    }
  }

  /** The customer's account at Align that answers the request and is not recorded here yet. */
  private async findAtAlign(
    customer: CustomerRecord,
    request: PendingRequest,
  ): Promise<AlignVirtualAccount | null> {
    const [{ items }, recorded] = await Promise.all([
      this.align.client.virtualAccounts.list(customer.alignCustomerId),
      this.accounts.recordedAlignIds(customer.id),
    ])
    const candidates = items.filter((a) => !recorded.has(a.id) && matchesParams(a, request.params))
    if (candidates.length > 1)
      this.logger.warn(
        `customer ${customer.id}: Align lists ${candidates.length} unrecorded accounts for one parameter set; recording the first`,
      )
    return candidates[0] ?? null
  }

  /**
   * Align refused for KYC reasons while the record allowed it: the record is behind. Reads the
   * customer from Align, applies it, and answers with the gate's code on the fresh state (or
   * kyc_not_approved when even that still allows it: Align has the last word).
   */
  private async refusedByAlign(customer: CustomerRecord, params: VirtualAccountParams): Promise<AppError> {
    let fresh = customer
    try {
      const alignCustomer = await this.align.client.customers.get(customer.alignCustomerId)
      fresh = await this.accounts.applyReading(
        customer.id,
        readAlignCustomer(alignCustomer, 'sync', new Date()),
      )
    } catch (e) {
      this.logger.warn(`customer ${customer.id}: resync after Align's KYC refusal failed: ${String(e)}`)
    }
    const decision = gate(fresh, params)
    this.logger.warn(
      `Align refused a virtual account for customer ${customer.id} for KYC reasons while the record allowed it; resynced: KYC ${fresh.kyc.status}, gate ${decision.allowed ? 'still allows it' : decision.code}`,
    )
    return (
      gateRefusal(decision) ??
      new AppError('kyc_not_approved', 'Align does not accept this customer’s KYC for a virtual account.', {
        members: { kycStatus: fresh.kyc.status },
      })
    )
  }

  async list(customerId: string): Promise<VirtualAccountRecord[]> {
    if (!(await this.accounts.findCustomer(customerId))) throw customerNotFound(customerId)
    return this.accounts.list(customerId)
  }

  async get(customerId: string, accountId: string): Promise<VirtualAccountRecord> {
    const account = await this.accounts.get(customerId, accountId)
    if (account) return account
    if (!(await this.accounts.findCustomer(customerId))) throw customerNotFound(customerId)
    throw accountNotFound(accountId)
  }

  /** Sandbox only: asks Align to simulate an action on the account, then reads it back. */
  async simulate(customerId: string, accountId: string, action: string): Promise<VirtualAccountRecord> {
    const customer = await this.accounts.findCustomer(customerId)
    if (!customer) throw customerNotFound(customerId)
    const account = await this.accounts.get(customerId, accountId)
    if (!account) throw accountNotFound(accountId)
    await this.align.client.virtualAccounts.simulate(customer.alignCustomerId, {
      action: action as 'issue_pending_virtual_account',
      virtual_account_id: account.alignVirtualAccountId,
    })
    const fresh = await this.align.client.virtualAccounts.retrieve(
      customer.alignCustomerId,
      account.alignVirtualAccountId,
    )
    return (await this.accounts.refresh(account.id, accountState(fresh))) ?? account
  }

  /**
   * `virtual_account.created` (only the account's id): a recorded account is refreshed from Align; an
   * unknown one is looked for among the customers with unanswered requests (listing each one's
   * accounts) and recorded on the request it answers; one this service never asked for is ignored.
   */
  async applyCreatedWebhook(d: HandledDelivery, signal: AbortSignal): Promise<HandlerResult> {
    const known = await this.accounts.findByAlignId(d.entityId)
    if (known) {
      const fresh = await this.align.client.virtualAccounts.retrieve(known.alignCustomerId, d.entityId, {
        signal,
      })
      await this.accounts.refresh(known.account.id, accountState(fresh))
      return { status: 'processed', outcome: 'refreshed' }
    }
    for (const group of await this.accounts.pendingRequests(WEBHOOK_MATCH_CUSTOMERS)) {
      const { items } = await this.align.client.virtualAccounts.list(group.alignCustomerId, { signal })
      const account = items.find((a) => a.id === d.entityId)
      if (!account) continue
      const request = group.requests.find((r) => matchesParams(account, r.params))
      if (!request)
        return {
          status: 'ignored',
          outcome: `account of customer ${group.customerId} matches none of its requests`,
        }
      const recorded = await this.accounts.record(request.requestId, accountState(account), null)
      if (recorded?.created)
        this.logger.log(
          `virtual account ${recorded.account.id} recorded from Align's webhook, before the create's answer (lost or still on its way)`,
        )
      return { status: 'processed', outcome: 'matched_request' }
    }
    return { status: 'ignored', outcome: 'not requested by this service' }
  }
}

function gate(customer: CustomerRecord, params: VirtualAccountParams): VirtualAccountDecision {
  return decideVirtualAccount({
    kyc: customer.kyc,
    rails: customer.rails,
    currency: params.sourceCurrency,
    sourceRails: params.sourceRails,
  })
}

function gateRefusal(decision: VirtualAccountDecision): AppError | null {
  if (decision.allowed) return null
  if (decision.code === 'kyc_not_approved')
    return new AppError('kyc_not_approved', `${decision.reason}.`, {
      members: { kycStatus: decision.kycStatus },
    })
  return new AppError('rail_not_approved', `${decision.reason}.`, {
    members: { currency: decision.currency, requiredRails: decision.requiredRails },
  })
}

/** Align answered 4xx (other than 408/429): it did not create the account. */
function isDefinitiveRefusal(e: unknown): boolean {
  return (
    e instanceof AlignApiError && e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429
  )
}

function alignBody(request: PendingRequest): AlignCreateVirtualAccountParams {
  return {
    source_currency: request.params.sourceCurrency,
    ...(request.params.sourceRails ? { source_rails: request.params.sourceRails } : {}),
    destination_token: request.params.destinationToken,
    destination_network: request.params.destinationNetwork,
    destination_address: request.params.destinationAddress,
  }
}

const customerNotFound = (id: string) => new AppError('customer_not_found', `No customer with id ${id}.`)
const accountNotFound = (id: string) =>
  new AppError('virtual_account_not_found', `No virtual account with id ${id} for this customer.`)
