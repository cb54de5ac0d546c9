import { Injectable } from '@nestjs/common'
import { initialKycState, type KycStatus } from '@align-kyc/domain'
import { PrismaService } from '../database/prisma.service.js'
import { newestFirst, type KeysetPosition } from '../database/keyset.js'
import { endLease, takeLease, type Lease } from '../database/leases.js'
import { prismaSql } from '../database/sql.js'
import type { AlignReading } from '../kyc/kyc-observation.js'
import { applyReadingLocked } from '../kyc/kyc-state.store.js'
import {
  CUSTOMER_SQL_COLUMNS,
  customerFromSqlRow,
  toCustomerRecord,
  type CustomerRecord,
  type CustomerSqlRow,
} from './customer.record.js'

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
  constructor(private readonly prisma: PrismaService) {}

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
   * A short transaction that claims the creation of a customer for this email (a lease, see
   * leases.ts): `claimed` when the lease is ours and no customer has the email (call Align, then
   * recordCreated, or releaseClaim on failure); `existing` when one has it by now (read after the
   * lease was free, so it includes what the lease's last holder recorded); `busy` when another
   * creation holds the lease (wait and claim again). Nothing is held once this returns.
   */
  async claimCreation(
    emailNormalized: string,
    leaseMs: number,
  ): Promise<
    { kind: 'claimed'; lease: Lease } | { kind: 'existing'; customer: CustomerRecord } | { kind: 'busy' }
  > {
    return this.prisma.sql.transaction(async (sql) => {
      const lease = await takeLease(sql, creationLeaseKey(emailNormalized), leaseMs)
      if (!lease) return { kind: 'busy' } as const
      const rows = await sql<CustomerSqlRow>(
        `SELECT ${CUSTOMER_SQL_COLUMNS} FROM customers c WHERE c.email_normalized = $1`,
        [emailNormalized],
      )
      if (!rows[0]) return { kind: 'claimed', lease } as const
      await endLease(sql, lease)
      return { kind: 'existing', customer: customerFromSqlRow(rows[0]) } as const
    })
  }

  /** Gives a creation lease back (Align failed), so the next request need not wait for it. */
  async releaseClaim(lease: Lease): Promise<void> {
    await endLease(this.prisma.sql.query, lease)
  }

  /**
   * Records the customer Align answered for, in one short transaction, if `lease` is still ours
   * (else null: it ran out and another creation took over; nothing written). If the Align customer
   * is already held here under another address (adopted earlier), that one is returned. Webhook
   * deliveries that arrived before the customer was recorded are released in the same commit.
   */
  async recordCreated(
    lease: Lease,
    n: NewCustomer,
  ): Promise<{ customer: CustomerRecord; created: boolean } | null> {
    return this.prisma.$transaction(async (tx) => {
      if (!(await endLease(prismaSql(tx), lease))) return null
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
    })
  }
}

const creationLeaseKey = (emailNormalized: string) => `customer-email:${emailNormalized}`
