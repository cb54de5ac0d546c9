import { setTimeout as sleep } from 'node:timers/promises'
import { Inject, Injectable, Logger } from '@nestjs/common'
import {
  decideLinkRenewal,
  evaluateCapabilities,
  type ApplyDecision,
  type Capabilities,
  type KycState,
  type KycStatus,
  type KycSubStatus,
  type LinkDecision,
  type LinkPolicy,
  type ObservationSource,
} from '@align-kyc/domain'
import { AlignGateway } from '../align/align.module.js'
import { AppError } from '../common/app-error.js'
import { ClientTokens } from '../common/client-tokens.js'
import type { KycLiveStatus } from '../kyc-state/kyc-live-status.js'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import type { CustomerRecord } from '../kyc-state/customer.record.js'
import { LEASE_MARGIN_MS, leasePollDelayMs, type Lease } from '../database/leases.js'
import { readAlignCustomer } from '../kyc-state/kyc-observation.js'
import {
  KycRepository,
  type CustomerWithSession,
  type HistoryRecord,
  type IssuedLink,
  type LinkState,
  type SessionRecord,
} from './kyc.repository.js'
import { SessionStatusWorker } from './session-status.worker.js'

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
  /** A renewal's lease: longer than the whole Align call (ALIGN_TIMEOUT_MS, retries included). */
  private readonly leaseMs: number
  /** Per customer, the one poll this process runs for requests waiting on a renewal lease. */
  private readonly renewalWaits = new Map<string, Promise<void>>()

  constructor(
    private readonly kyc: KycRepository,
    private readonly align: AlignGateway,
    private readonly sessionStatus: SessionStatusWorker,
    private readonly clientTokens: ClientTokens,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.policy = config.kycLink
    this.leaseMs = config.align.timeoutMs + LEASE_MARGIN_MS
  }

  /**
   * Reuses the live link, or obtains a new one (none, expired, within the renewal margin, forced,
   * or from before a resubmission request). Refuses once KYC is approved. At most one Align call for
   * any number of concurrent requests, on any number of instances: the renewal is claimed with a
   * lease (KycRepository.claimRenewal) and every other request waits on that lease, then re-decides
   * on what its holder recorded. Nothing is held while Align answers. The answer carries the state
   * as recorded; what Align reports after the new link is read off this path (SessionStatusWorker).
   */
  async requestLink(customerId: string, forceRenew: boolean): Promise<LinkResult> {
    const requestedAt = new Date()
    const warm = await this.kyc.findLinkState(customerId)
    if (!warm) throw notFound(customerId)
    if (warm.redacted) throw redacted()
    const first = this.decide(warm, forceRenew, requestedAt)
    if (first.action === 'reuse') return linkResult(warm.kyc, warm.session!, true)
    if (first.action === 'refuse') throw alreadyApproved()

    // A forced renewal is satisfied by a link another request created after this one arrived.
    const decideNow = (current: CustomerWithSession, now: Date) =>
      this.decide(current, forceRenew && !(current.session && current.session.createdAt >= requestedAt), now)
    for (;;) {
      const now = new Date()
      const claim = await this.kyc.claimRenewal(
        customerId,
        this.leaseMs,
        (current) => decideNow(current, now).action === 'renew',
      )
      if (!claim) throw notFound(customerId)
      if (claim.kind === 'claimed') {
        const link = await this.renew(claim.lease, claim.current, decideNow(claim.current, now), now)
        if (link) return link
        // The lease ran out during the Align call and another request took it over: wait for it.
      } else if (claim.kind === 'unclaimed') {
        const decision = decideNow(claim.current, now)
        if (decision.action === 'refuse') throw alreadyApproved()
        return linkResult(claim.current.customer.kyc, claim.current.session!, true)
      }
      // Someone else is renewing: wait until its lease is gone, then re-decide on what it recorded.
      await this.renewalEnded(customerId)
      const seen = await this.kyc.findWithLiveSession(customerId)
      if (!seen) throw notFound(customerId)
      const decision = decideNow(seen, new Date())
      if (decision.action === 'reuse') return linkResult(seen.customer.kyc, seen.session!, true)
      if (decision.action === 'refuse') throw alreadyApproved()
    }
  }

  /**
   * Resolves once the customer's renewal lease is no longer held (recorded, given back, or run out).
   * One poll per customer per process, shared by every request waiting here: a burst of waiters
   * costs one indexed read per poll, not one each (measured: with one poll each, 100 requests for
   * one customer took 1.3-1.7 s at p50 on this machine, the CPU going to the polls).
   */
  private renewalEnded(customerId: string): Promise<void> {
    let wait = this.renewalWaits.get(customerId)
    if (!wait) {
      wait = (async () => {
        for (let look = 0; ; look++) {
          await sleep(leasePollDelayMs(look))
          if (!(await this.kyc.renewalUnderWay(customerId))) return
        }
      })().finally(() => this.renewalWaits.delete(customerId))
      this.renewalWaits.set(customerId, wait)
    }
    return wait
  }

  /** Holding the lease: one Align call with nothing else held, then the short recording transaction. */
  private async renew(
    lease: Lease,
    current: CustomerWithSession,
    decision: LinkDecision,
    now: Date,
  ): Promise<LinkResult | null> {
    if (decision.action !== 'renew') throw new Error('renew called without a renewal decision')
    let url: string
    try {
      const { kycs } = await this.align.client.customers.createKycSession(current.customer.alignCustomerId)
      url = kycs.kyc_flow_link
    } catch (e) {
      await this.kyc.releaseLease(lease).catch((e2: unknown) => {
        // It runs out on its own; waiters take over then.
        this.logger.warn(`renewal lease not released for ${current.customer.id}: ${String(e2)}`)
      })
      throw e
    }
    const recorded = await this.kyc.recordRenewal(lease, current.customer.id, {
      url,
      reason: decision.reason,
      expiresAt: decision.expiresAt,
      now,
      // The state the decision was taken in: a resubmission request arriving during the call makes
      // the next request renew again rather than hand out a link from before it.
      issuedDuring: { status: current.customer.kyc.status, subStatus: current.customer.kyc.subStatus },
    })
    if (recorded === 'redacted') throw redacted()
    if (!recorded) {
      this.logger.warn(`renewal lease for ${current.customer.id} ran out during Align's call; link discarded`)
      return null
    }
    this.sessionStatus.kick()
    return linkResult(recorded.kyc, recorded.session, false)
  }

  /** The KYC status a frontend may see (no personal data, no history). */
  async liveStatus(customerId: string): Promise<KycLiveStatus> {
    const status = await this.kyc.liveStatus(customerId)
    if (!status) throw notFound(customerId)
    return status
  }

  /** A client token for an existing customer, valid `ttlMs` (client-tokens.ts). */
  async mintClientToken(customerId: string, ttlMs: number): Promise<{ token: string; expiresAt: Date }> {
    const found = await this.kyc.findLinkState(customerId)
    if (!found) throw notFound(customerId)
    if (found.redacted)
      throw new AppError('customer_redacted', "The customer's personal data was erased: no client token.")
    return this.clientTokens.sign(customerId, ttlMs)
  }

  /** The links issued for the customer, newest first (the most recent ISSUED_LINKS_SHOWN). */
  async issuedLinks(customerId: string): Promise<IssuedLink[]> {
    const links = await this.kyc.sessions(customerId, ISSUED_LINKS_SHOWN)
    if (!links) throw notFound(customerId)
    return links
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

function linkResult(
  kyc: Pick<KycState, 'status' | 'subStatus'>,
  session: Pick<SessionRecord, 'url' | 'expiresAt'>,
  reused: boolean,
): LinkResult {
  return {
    kycUrl: session.url,
    expiresAt: session.expiresAt,
    reused,
    status: kyc.status,
    subStatus: kyc.subStatus,
  }
}

const redacted = () =>
  new AppError('customer_redacted', "The customer's personal data was erased: no new KYC link.")
/** How many of a customer's links GET /v1/customers/:id/kyc-sessions shows (newest first). */
const ISSUED_LINKS_SHOWN = 100

const notFound = (id: string) => new AppError('customer_not_found', `No customer with id ${id}.`)
const alreadyApproved = () =>
  new AppError('kyc_already_approved', 'KYC is already approved: the customer needs no KYC link.')
