import { type BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common'
import {
  applyObservation,
  decideLinkRenewal,
  evaluateCapabilities,
  type ApplyDecision,
  type Capabilities,
  type KycState,
  type KycStatus,
  type KycSubStatus,
  type LinkPolicy,
  type ObservationSource,
  type RailStatus,
} from '@align-kyc/domain'
import { AlignError, type AlignCustomer } from '@align-kyc/align-client'
import { AlignGateway } from '../align/align.module.js'
import { AppError } from '../common/app-error.js'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import type { CustomerRecord } from '../customers/customer.record.js'
import { readAlignCustomer, sameRails, type AlignReading } from './kyc-observation.js'
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
export class KycService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(KycService.name)
  private readonly policy: LinkPolicy
  private readonly pendingWrites = new Set<Promise<unknown>>()

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

    const outcome = await this.kyc.withCustomerLock(customerId, async (locked): Promise<Renewal> => {
      const now = new Date()
      const current = locked.current
      // A forced renewal is satisfied by a link another request created after this one arrived.
      const force = forceRenew && !(current.session && current.session.createdAt >= requestedAt)
      const decision = this.decide(current, force, now)
      if (decision.action === 'reuse')
        return { kind: 'reused', link: linkResult(current.customer.kyc, current.session!, true) }
      if (decision.action === 'refuse') throw alreadyApproved()

      const alignId = current.customer.alignCustomerId
      const { kycs } = await this.align.client.customers.createKycSession(alignId)
      // Ask Align for the status it now reports (history source `session`) while the link is
      // recorded and committed: the insert and the commit overlap that round trip, and waiting
      // requests get the link without waiting for it.
      const statusRead = settle(this.align.client.customers.get(alignId))
      const session = await locked.replaceLiveSession({
        url: kycs.kyc_flow_link,
        reason: decision.reason,
        expiresAt: decision.expiresAt,
        now,
      })
      return {
        kind: 'created',
        session,
        issuedIn: current.customer.kyc,
        rails: current.customer.rails,
        statusRead,
      }
    })
    if (!outcome) throw notFound(customerId)
    if (outcome.kind === 'reused') return outcome.link
    const { session, issuedIn, rails, statusRead } = outcome
    return linkResult(
      await this.recordSessionStatus(customerId, issuedIn, rails, await statusRead),
      session,
      false,
    )
  }

  /**
   * Records the status Align reported right after a new link (the link itself is already committed):
   * in one statement if the customer's state is still the one the link was issued in, else under the
   * row lock. When Align merely confirms what is recorded (same status and sub_status, same rails:
   * nothing a caller can see changes, only when it was last confirmed), the write is not waited for;
   * shutdown waits for it (beforeApplicationShutdown). The link is valid either way, so a failure here
   * is logged, not fatal: the answer then carries the state as it was, and a webhook, a sync or the
   * reconciler records the change.
   *
   * The guarded statement commits without waiting for the WAL flush (`commit: 'async'`, see
   * WriteOptions): it is the last step before the answer, and the flush was about 1 ms of the cold
   * link's latency (bench, README). It is visible at once, like any commit; only a crash of the
   * PostgreSQL server within ~0.6 s could lose it, and what it holds is a copy of Align's state that
   * a later webhook, a sync or the reconciler (customers not approved and not synced lately) records
   * again. The link itself, webhook deliveries and every other write commit durably.
   */
  private async recordSessionStatus(
    customerId: string,
    issuedIn: KycState,
    rails: RailStatus[],
    read: Settled<AlignCustomer>,
  ): Promise<KycState> {
    if (!read.ok) {
      this.logNotRecorded(customerId, read.error)
      return issuedIn
    }
    const reading = readAlignCustomer(read.value, 'session', new Date())
    const write = this.writeReading(customerId, reading, issuedIn)
    const decision = applyObservation(issuedIn, reading.observation)
    const confirmation =
      decision.outcome === 'ignored' && decision.reason === 'same_state' && sameRails(reading.rails, rails)
    if (!confirmation) return (await write) ?? issuedIn
    this.pendingWrites.add(write)
    void write.finally(() => this.pendingWrites.delete(write))
    return issuedIn
  }

  /** Guarded single statement, else under the row lock; null (logged) if it failed. */
  private async writeReading(
    customerId: string,
    reading: AlignReading,
    expected: KycState,
  ): Promise<KycState | null> {
    try {
      const applied =
        (await this.kyc.applyReadingIfUnchanged(customerId, reading, expected, { commit: 'async' })) ??
        (await this.kyc.applyReading(customerId, reading))
      this.logIgnored(customerId, applied.decision)
      return applied.customer.kyc
    } catch (e) {
      this.logNotRecorded(customerId, e)
      return null
    }
  }

  private logNotRecorded(customerId: string, e: unknown): void {
    const log = e instanceof AlignError ? 'warn' : 'error'
    this.logger[log](
      `status after new link not recorded for ${customerId}: ${e instanceof Error ? e.message : String(e)}`,
    )
  }

  /** Confirmation writes still in flight (see recordSessionStatus): finished before the database closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.pendingWrites])
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

/** What a link request did under the customer's lock. */
type Renewal =
  | { kind: 'reused'; link: LinkResult }
  | {
      kind: 'created'
      session: SessionRecord
      /** The state the link was issued in, and the rails then recorded (read under the lock). */
      issuedIn: KycState
      rails: RailStatus[]
      /** Align's status read, started before the commit. */
      statusRead: Promise<Settled<AlignCustomer>>
    }

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown }

/** The promise's outcome, never a rejection (so one left unawaited on a failed path is not unhandled). */
function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  )
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

const notFound = (id: string) => new AppError('customer_not_found', `No customer with id ${id}.`)
const alreadyApproved = () =>
  new AppError('kyc_already_approved', 'KYC is already approved: the customer needs no KYC link.')
