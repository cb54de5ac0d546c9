import { Inject, Injectable, Logger } from '@nestjs/common'
import {
  decideLinkRenewal,
  evaluateCapabilities,
  type ApplyDecision,
  type Capabilities,
  type KycState,
  type KycStatus,
  type KycSubStatus,
  type LinkPolicy,
  type ObservationSource,
} from '@align-kyc/domain'
import { AlignError } from '@align-kyc/align-client'
import { AlignGateway } from '../align/align.module.js'
import { AppError } from '../common/app-error.js'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import type { CustomerRecord } from '../customers/customer.record.js'
import { readAlignCustomer } from './kyc-observation.js'
import {
  KycRepository,
  type CustomerWithSession,
  type HistoryRecord,
  type LinkState,
  type SessionRecord,
} from './kyc.repository.js'

/** A link handed to a caller; `reused` tells 200 (the live link) from 201 (new from Align). */
export type LinkResult = {
  kycUrl: string
  expiresAt: Date
  reused: boolean
  status: KycStatus
  subStatus: KycSubStatus | null
}

export type KycView = {
  customer: CustomerRecord
  session: SessionRecord | null
  history: HistoryRecord[]
}

@Injectable()
export class KycService {
  private readonly logger = new Logger(KycService.name)
  private readonly policy: LinkPolicy

  constructor(
    private readonly kyc: KycRepository,
    private readonly align: AlignGateway,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.policy = config.kycLink
  }

  /**
   * Reuses the live link, or obtains a new one (none, expired, within the renewal margin, forced,
   * or from before a resubmission request). Refuses once KYC is approved. At most one Align call for
   * any number of concurrent requests: the renewal happens under the customer's row lock and every
   * waiter re-decides on what the winner recorded.
   */
  async requestLink(customerId: string, forceRenew: boolean): Promise<LinkResult> {
    const requestedAt = new Date()
    const warm = await this.kyc.findLinkState(customerId)
    if (!warm) throw notFound(customerId)
    const first = this.decide(warm, forceRenew, requestedAt)
    if (first.action === 'reuse') return linkResult(warm.kyc, warm.session!, true)
    if (first.action === 'refuse') throw alreadyApproved()

    const result = await this.kyc.withCustomerLock(customerId, async (locked) => {
      const now = new Date()
      const current = locked.current
      // A forced renewal is satisfied by a link another request created after this one arrived.
      const force = forceRenew && !(current.session && current.session.createdAt >= requestedAt)
      const decision = this.decide(current, force, now)
      if (decision.action === 'reuse') return linkResult(current.customer.kyc, current.session!, true)
      if (decision.action === 'refuse') throw alreadyApproved()

      const alignId = current.customer.alignCustomerId
      const { kycs } = await this.align.client.customers.createKycSession(alignId)
      // Record the link while asking Align for the status it now reports (history source
      // `session`): the insert overlaps the round trip. The link is valid either way, so an Align
      // failure on the status read is logged, not fatal (sync or a webhook catches up); a database
      // failure aborts the whole transaction.
      const [recorded, fresh] = await Promise.allSettled([
        locked.replaceLiveSession({
          url: kycs.kyc_flow_link,
          reason: decision.reason,
          expiresAt: decision.expiresAt,
          now,
        }),
        this.align.client.customers.get(alignId),
      ])
      if (recorded.status === 'rejected') throw recorded.reason
      const session = recorded.value
      let customer = current.customer
      if (fresh.status === 'fulfilled') {
        const applied = await locked.applyReading(readAlignCustomer(fresh.value, 'session', new Date()))
        this.logIgnored(customerId, applied.decision)
        customer = applied.customer
      } else if (fresh.reason instanceof AlignError) {
        this.logger.warn(`status after new link not recorded for ${customerId}: ${fresh.reason.message}`)
      } else {
        throw fresh.reason
      }
      return linkResult(customer.kyc, session, false)
    })
    if (!result) throw notFound(customerId)
    return result
  }

  async view(customerId: string): Promise<KycView> {
    const view = await this.kyc.view(customerId)
    if (!view) throw notFound(customerId)
    return view
  }

  /** Asks Align for the customer and applies what it says (source `sync` unless told otherwise). */
  async sync(customerId: string, source: ObservationSource = 'sync'): Promise<KycView> {
    const current = await this.kyc.findWithLiveSession(customerId)
    if (!current) throw notFound(customerId)
    const alignCustomer = await this.align.client.customers.get(current.customer.alignCustomerId)
    const { decision } = await this.kyc.applyReading(
      customerId,
      readAlignCustomer(alignCustomer, source, new Date()),
    )
    this.logIgnored(customerId, decision)
    return this.view(customerId)
  }

  /** Sandbox only: asks Align to simulate an action, then syncs (source `simulation`). */
  async simulate(customerId: string, action: string): Promise<KycView> {
    const current = await this.kyc.findWithLiveSession(customerId)
    if (!current) throw notFound(customerId)
    await this.align.client.customers.simulateCustomer({
      customer_id: current.customer.alignCustomerId,
      action,
    })
    return this.sync(customerId, 'simulation')
  }

  async capabilities(customerId: string): Promise<Capabilities> {
    const found = await this.kyc.findWithLiveSession(customerId)
    if (!found) throw notFound(customerId)
    const { kyc, rails } = found.customer
    return evaluateCapabilities({ kyc, rails })
  }

  private decide(current: LinkState | CustomerWithSession, forceRenew: boolean, now: Date) {
    return decideLinkRenewal({
      session: current.session
        ? { expiresAt: current.session.expiresAt, issuedDuring: current.session.issuedDuring }
        : null,
      kyc: 'kyc' in current ? current.kyc : current.customer.kyc,
      forceRenew,
      policy: this.policy,
      now,
    })
  }

  private logIgnored(customerId: string, decision: ApplyDecision): void {
    if (decision.outcome === 'ignored' && decision.reason !== 'same_state') {
      const log = decision.reason === 'unknown_value' ? 'warn' : 'debug'
      this.logger[log](`observation for ${customerId} ignored (${decision.reason}): ${decision.detail}`)
    }
  }
}

function linkResult(kyc: KycState, session: SessionRecord, reused: boolean): LinkResult {
  return {
    kycUrl: session.url,
    expiresAt: session.expiresAt,
    reused,
    status: kyc.status,
    subStatus: kyc.subStatus,
  }
}

const notFound = (id: string) => new AppError('customer_not_found', `No customer with id ${id}.`)
const alreadyApproved = () =>
  new AppError('kyc_already_approved', 'KYC is already approved: the customer needs no KYC link.')
