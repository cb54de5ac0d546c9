import { Inject, Injectable } from '@nestjs/common'
import type {
  ApplyDecision,
  KycState,
  KycStatus,
  KycSubStatus,
  ObservationSource,
  RailStatus,
  RenewReason,
} from '@align-kyc/domain'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import { PrismaService } from '../database/prisma.service.js'
import type { Tx } from '../database/tx.js'
import { toCustomerRecord, type CustomerRecord } from '../customers/customer.record.js'
import { Prisma } from '../generated/prisma/client.js'
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
  /** The customer and its live session as read when the lock was taken. */
  readonly current: CustomerWithSession
  /** Supersedes the live session (if any) and records a new one, issued during the current state. */
  replaceLiveSession(input: { url: string; reason: RenewReason; expiresAt: Date; now: Date }): Promise<SessionRecord>
  /** Applies what Align reported through the domain rules; returns the decision and the customer as written. */
  applyReading(reading: AlignReading): Promise<{ decision: ApplyDecision; customer: CustomerRecord }>
}

/** One row of the customer + live session join (snake_case, enums as text). */
type JoinedRow = {
  id: string
  align_customer_id: string
  email: string
  type: 'individual' | 'corporate'
  first_name: string | null
  last_name: string | null
  company_name: string | null
  kyc_status: KycStatus
  kyc_sub_status: KycSubStatus | null
  kyc_observed_at: Date | null
  kyc_updated_at: Date
  rails: unknown
  created_at: Date
  updated_at: Date
  s_id: string | null
  s_url: string | null
  s_reason: RenewReason | null
  s_created_at: Date | null
  s_expires_at: Date | null
  s_issued_status: KycStatus | null
  s_issued_sub_status: KycSubStatus | null
}

/**
 * The customer and its live session in ONE statement (the warm path of a link request runs nothing
 * else; Prisma's findUnique + include issues two).
 */
function joinedQuery(customerId: string): Prisma.Sql {
  return Prisma.sql`
    SELECT c.id::text, c.align_customer_id, c.email, c.type::text, c.first_name, c.last_name, c.company_name,
           c.kyc_status::text, c.kyc_sub_status::text, c.kyc_observed_at, c.kyc_updated_at, c.rails,
           c.created_at, c.updated_at,
           s.id::text AS s_id, s.url AS s_url, s.reason::text AS s_reason, s.created_at AS s_created_at,
           s.expires_at AS s_expires_at, s.issued_status::text AS s_issued_status,
           s.issued_sub_status::text AS s_issued_sub_status
    FROM customers c LEFT JOIN kyc_sessions s ON s.live_customer_id = c.id
    WHERE c.id = ${customerId}::uuid`
}

function fromJoined(r: JoinedRow): CustomerWithSession {
  return {
    customer: {
      id: r.id,
      alignCustomerId: r.align_customer_id,
      email: r.email,
      type: r.type,
      firstName: r.first_name,
      lastName: r.last_name,
      companyName: r.company_name,
      kyc: { status: r.kyc_status, subStatus: r.kyc_sub_status, observedAt: r.kyc_observed_at, updatedAt: r.kyc_updated_at },
      rails: Array.isArray(r.rails) ? (r.rails as RailStatus[]) : [],
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    },
    session:
      r.s_id === null
        ? null
        : {
            id: r.s_id,
            url: r.s_url!,
            reason: r.s_reason!,
            createdAt: r.s_created_at!,
            expiresAt: r.s_expires_at!,
            issuedDuring: { status: r.s_issued_status!, subStatus: r.s_issued_sub_status },
          },
  }
}

async function readJoined(db: Tx | PrismaService, customerId: string): Promise<CustomerWithSession | null> {
  const rows = await db.$queryRaw<JoinedRow[]>(joinedQuery(customerId))
  return rows[0] ? fromJoined(rows[0]) : null
}

@Injectable()
export class KycRepository {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** One indexed read: the customer and its live session (the whole warm path of a link request). */
  async findWithLiveSession(customerId: string): Promise<CustomerWithSession | null> {
    return readJoined(this.prisma, customerId)
  }

  /**
   * Runs `fn` while holding the customer's row lock (SELECT ... FOR UPDATE), in one transaction:
   * concurrent link requests for one customer, on any number of instances, queue here, and each
   * sees what the one before it recorded. Returns null (without calling `fn`) if the customer is gone.
   */
  async withCustomerLock<T>(customerId: string, fn: (locked: LockedCustomer) => Promise<T>): Promise<T | null> {
    const ms = this.config.align.timeoutMs
    return this.prisma.$transaction(
      async (tx) => {
        // Lock, THEN read: a statement that waited for the lock still sees the snapshot it started
        // with, so a joined read in the locking statement would miss the session the previous holder
        // just recorded (and every waiter would renew again).
        const locked = await tx.$queryRaw<{ one: number }[]>`
          SELECT 1::int AS one FROM customers WHERE id = ${customerId}::uuid FOR UPDATE`
        if (locked.length === 0) return null
        const current = await readJoined(tx, customerId)
        if (!current) return null
        const state: KycState = current.customer.kyc
        return fn({
          current,
          replaceLiveSession: (input) => replaceLiveSession(tx, customerId, current.customer.kyc, input),
          applyReading: async (reading) => {
            const r = await applyReadingLocked(tx, customerId, reading, state)
            return { decision: r.decision, customer: toCustomerRecord(r.customer) }
          },
        })
      },
      // Waits on Align while holding the lock: outlive its whole timeout, retries included.
      { maxWait: ms + 10_000, timeout: 3 * ms + 10_000 },
    )
  }

  /** Applies an observation in its own transaction; returns the decision and the updated customer. */
  async applyReading(customerId: string, reading: AlignReading): Promise<{ decision: ApplyDecision; customer: CustomerRecord }> {
    return this.prisma.$transaction(async (tx) => {
      const r = await applyReadingLocked(tx, customerId, reading)
      return { decision: r.decision, customer: toCustomerRecord(r.customer) }
    })
  }

  /** Status view: customer, live session and the whole history (oldest first). */
  async view(customerId: string): Promise<(CustomerWithSession & { history: HistoryRecord[] }) | null> {
    const current = await readJoined(this.prisma, customerId)
    if (!current) return null
    const history = await this.prisma.kycStatusHistory.findMany({
      where: { customerId },
      orderBy: [{ occurredAt: 'asc' }, { recordedAt: 'asc' }],
      select: { status: true, subStatus: true, source: true, occurredAt: true, recordedAt: true },
    })
    return { ...current, history }
  }
}

async function replaceLiveSession(
  tx: Tx,
  customerId: string,
  issuedDuring: { status: KycStatus; subStatus: KycSubStatus | null },
  input: { url: string; reason: RenewReason; expiresAt: Date; now: Date },
): Promise<SessionRecord> {
  await tx.kycSession.updateMany({
    where: { liveCustomerId: customerId },
    data: { liveCustomerId: null, supersededAt: input.now },
  })
  const row = await tx.kycSession.create({
    data: {
      customerId,
      liveCustomerId: customerId,
      url: input.url,
      reason: input.reason,
      createdAt: input.now,
      expiresAt: input.expiresAt,
      issuedStatus: issuedDuring.status,
      issuedSubStatus: issuedDuring.subStatus,
    },
  })
  return {
    id: row.id,
    url: row.url,
    reason: row.reason,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    issuedDuring: { status: row.issuedStatus, subStatus: row.issuedSubStatus },
  }
}
