import { Inject, Injectable } from '@nestjs/common'
import { initialKycState, type KycStatus } from '@align-kyc/domain'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import { PrismaService } from '../database/prisma.service.js'
import { newestFirst, type KeysetPosition } from '../database/keyset.js'
import { prismaSql } from '../database/sql.js'
import type { AlignReading } from '../kyc/kyc-observation.js'
import { applyReadingLocked } from '../kyc/kyc-state.store.js'
import { toCustomerRecord, type CustomerRecord } from './customer.record.js'

/** What gets stored for a customer Align has answered for. */
export type NewCustomer = {
  alignCustomerId: string
  email: string
  emailNormalized: string
  type: 'individual' | 'corporate'
  firstName: string | null
  lastName: string | null
  companyName: string | null
  /** Align's view of the customer's KYC when it answered (adopted customers may be past not_started) */
  reading: AlignReading
}

export type CustomerPageQuery = {
  emailNormalized?: string
  status?: KycStatus
  limit: number
  after?: KeysetPosition
}

@Injectable()
export class CustomersRepository {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async findById(id: string): Promise<CustomerRecord | null> {
    const row = await this.prisma.customer.findUnique({ where: { id } })
    return row ? toCustomerRecord(row) : null
  }

  async findByEmail(emailNormalized: string): Promise<CustomerRecord | null> {
    const row = await this.prisma.customer.findUnique({ where: { emailNormalized } })
    return row ? toCustomerRecord(row) : null
  }

  /** Newest first, keyset-paginated on (createdAt, id). Returns one page and whether more follow. */
  async page(q: CustomerPageQuery): Promise<{ items: CustomerRecord[]; hasMore: boolean }> {
    const keyset = newestFirst('createdAt', q.after)
    const rows = await this.prisma.customer.findMany({
      where: {
        ...(q.emailNormalized ? { emailNormalized: q.emailNormalized } : {}),
        ...(q.status ? { kycStatus: q.status } : {}),
        ...keyset.where,
      },
      orderBy: keyset.orderBy,
      take: q.limit + 1,
    })
    return { items: rows.slice(0, q.limit).map(toCustomerRecord), hasMore: rows.length > q.limit }
  }

  /**
   * Creates a customer exactly once per email across every instance: an advisory transaction lock
   * on the normalised email serialises creators, `obtain` (the Align call) runs under it, and the row
   * is inserted in the same transaction, so an Align failure leaves nothing behind. If another
   * creator won, its customer is returned with `created: false` and `obtain` is never called.
   * Webhook deliveries that arrived before the customer was recorded are released in the same commit.
   */
  async createExclusive(
    emailNormalized: string,
    obtain: () => Promise<NewCustomer>,
  ): Promise<{ customer: CustomerRecord; created: boolean }> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${'customer:' + emailNormalized}, 0))`
      const existing = await tx.customer.findUnique({ where: { emailNormalized } })
      if (existing) return { customer: toCustomerRecord(existing), created: false }
      const n = await obtain()
      // Align may hand back a customer we already hold under another address (adopted earlier).
      const sameAlign = await tx.customer.findUnique({ where: { alignCustomerId: n.alignCustomerId } })
      if (sameAlign) return { customer: toCustomerRecord(sameAlign), created: false }
      const row = await tx.customer.create({
        data: {
          alignCustomerId: n.alignCustomerId,
          email: n.email,
          emailNormalized: n.emailNormalized,
          type: n.type,
          firstName: n.firstName,
          lastName: n.lastName,
          companyName: n.companyName,
          rails: n.reading.rails,
        },
      })
      // The row is this transaction's own (invisible to others until commit): no lock to take.
      const { customer } = await applyReadingLocked(prismaSql(tx), row.id, n.reading, initialKycState())
      await tx.webhookDelivery.updateMany({
        where: { entityId: n.alignCustomerId, status: 'pending', nextAttemptAt: null },
        data: { nextAttemptAt: new Date() },
      })
      return { customer, created: true }
    }, this.longTransaction())
  }

  /** Transactions that wait on Align must outlive its whole timeout (retries included). */
  private longTransaction() {
    const ms = this.config.align.timeoutMs
    return { maxWait: ms + 10_000, timeout: 2 * ms + 10_000 }
  }
}
