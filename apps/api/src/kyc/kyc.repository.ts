import { Inject, Injectable } from '@nestjs/common'
import type { ApplyDecision, KycStatus, KycSubStatus, ObservationSource, RenewReason } from '@align-kyc/domain'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import { PrismaService } from '../database/prisma.service.js'
import type { Tx } from '../database/tx.js'
import { toCustomerRecord, type CustomerRecord } from '../customers/customer.record.js'
import type { AlignReading } from './kyc-observation.js'
import { applyReadingLocked } from './kyc-state.store.js'

/** The live KYC link of a customer. */
export type SessionRecord = {
  id: string
  url: string
  reason: RenewReason
  createdAt: Date
  expiresAt: Date
  issuedDuring: { status: KycStatus; subStatus: KycSubStatus | null }
}

export type HistoryRecord = {
  status: KycStatus
  subStatus: KycSubStatus | null
  source: ObservationSource
  occurredAt: Date
  recordedAt: Date
}

export type CustomerWithSession = { customer: CustomerRecord; session: SessionRecord | null }

/** Operations available while a customer's row is locked (see KycRepository.withCustomerLock). */
export type LockedCustomer = {
  /** Re-reads the customer and its live session under the lock. */
  read(): Promise<CustomerWithSession>
  /** Supersedes the live session (if any) and records a new one. */
  replaceLiveSession(input: { url: string; reason: RenewReason; expiresAt: Date; now: Date }): Promise<SessionRecord>
  /** Applies what Align reported through the domain rules. */
  applyReading(reading: AlignReading): Promise<ApplyDecision>
}

type SessionRow = {
  id: string
  url: string
  reason: RenewReason
  createdAt: Date
  expiresAt: Date
  issuedStatus: KycStatus
  issuedSubStatus: KycSubStatus | null
}

const toSession = (s: SessionRow): SessionRecord => ({
  id: s.id,
  url: s.url,
  reason: s.reason,
  createdAt: s.createdAt,
  expiresAt: s.expiresAt,
  issuedDuring: { status: s.issuedStatus, subStatus: s.issuedSubStatus },
})

@Injectable()
export class KycRepository {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** One indexed read: the customer and its live session (the warm path of a link request). */
  async findWithLiveSession(customerId: string): Promise<CustomerWithSession | null> {
    return readWithSession(this.prisma, customerId)
  }

  /**
   * Runs `fn` while holding the customer's row lock (SELECT ... FOR UPDATE), in one transaction:
   * concurrent link requests for one customer, on any number of instances, queue here, and the
   * first one's new session is what the others then read. Throws nothing itself if the customer is
   * gone: `read()` returns null then.
   */
  async withCustomerLock<T>(customerId: string, fn: (locked: LockedCustomer) => Promise<T>): Promise<T> {
    const ms = this.config.align.timeoutMs
    return this.prisma.$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT 1 FROM customers WHERE id = ${customerId}::uuid FOR UPDATE`
        const locked: LockedCustomer = {
          read: async () => (await readWithSession(tx, customerId))!,
          replaceLiveSession: (input) => replaceLiveSession(tx, customerId, input),
          applyReading: (reading) => applyReadingLocked(tx, customerId, reading),
        }
        return fn(locked)
      },
      // Waits on Align while holding the lock: outlive its whole timeout, retries included.
      { maxWait: ms + 10_000, timeout: 3 * ms + 10_000 },
    )
  }

  /** Applies an observation in its own transaction; returns the decision and the updated customer. */
  async applyReading(customerId: string, reading: AlignReading): Promise<{ decision: ApplyDecision; customer: CustomerRecord }> {
    return this.prisma.$transaction(async (tx) => {
      const decision = await applyReadingLocked(tx, customerId, reading)
      const row = await tx.customer.findUniqueOrThrow({ where: { id: customerId } })
      return { decision, customer: toCustomerRecord(row) }
    })
  }

  /** Status view: customer, live session and the whole history (oldest first). */
  async view(customerId: string): Promise<(CustomerWithSession & { history: HistoryRecord[] }) | null> {
    const row = await this.prisma.customer.findUnique({
      where: { id: customerId },
      include: {
        sessions: { where: { liveCustomerId: { not: null } }, take: 1 },
        history: {
          orderBy: [{ occurredAt: 'asc' }, { recordedAt: 'asc' }],
          select: { status: true, subStatus: true, source: true, occurredAt: true, recordedAt: true },
        },
      },
    })
    if (!row) return null
    const s = row.sessions[0]
    return { customer: toCustomerRecord(row), session: s ? toSession(s) : null, history: row.history }
  }
}

async function readWithSession(db: Tx | PrismaService, customerId: string): Promise<CustomerWithSession | null> {
  const row = await db.customer.findUnique({
    where: { id: customerId },
    include: { sessions: { where: { liveCustomerId: { not: null } }, take: 1 } },
  })
  if (!row) return null
  const s = row.sessions[0]
  return { customer: toCustomerRecord(row), session: s ? toSession(s) : null }
}

async function replaceLiveSession(
  tx: Tx,
  customerId: string,
  input: { url: string; reason: RenewReason; expiresAt: Date; now: Date },
): Promise<SessionRecord> {
  await tx.kycSession.updateMany({
    where: { liveCustomerId: customerId },
    data: { liveCustomerId: null, supersededAt: input.now },
  })
  const customer = await tx.customer.findUniqueOrThrow({
    where: { id: customerId },
    select: { kycStatus: true, kycSubStatus: true },
  })
  const row = await tx.kycSession.create({
    data: {
      customerId,
      liveCustomerId: customerId,
      url: input.url,
      reason: input.reason,
      createdAt: input.now,
      expiresAt: input.expiresAt,
      issuedStatus: customer.kycStatus,
      issuedSubStatus: customer.kycSubStatus,
    },
  })
  return toSession(row)
}
