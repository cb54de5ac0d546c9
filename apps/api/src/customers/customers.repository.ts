import { randomUUID } from 'node:crypto'
import { Injectable } from '@nestjs/common'
import { initialKycState, type KycStatus } from '@align-kyc/domain'
import { PrismaService } from '../database/prisma.service.js'
import { newestFirst, type KeysetPosition } from '../database/keyset.js'
import { endLease, takeLease, type Lease } from '../database/leases.js'
import type { AlignReading } from '../kyc-state/kyc-observation.js'
import { applyReadingLocked } from '../kyc-state/kyc-state.store.js'
import {
  CUSTOMER_SQL_COLUMNS,
  toCustomerRecord,
  type CustomerRecord,
  type CustomerRow,
} from '../kyc-state/customer.record.js'
import { appendEvent } from '../events/outbox.js'
import { toCustomerDto } from './dto/customer.dto.js'

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
  /** Pending now, status unchanged for over 7 days (the stats' stuck.pendingOver7Days). */
  stuck?: boolean
  limit: number
  after?: KeysetPosition
}

/** How long a pending customer's status stays unchanged before the stats and the list call it stuck. */
export const STUCK_AFTER_MS = 7 * 24 * 3600 * 1000

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
        ...(q.stuck
          ? { kycStatus: 'pending', kycUpdatedAt: { lt: new Date(Date.now() - STUCK_AFTER_MS) } }
          : {}),
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
      const rows = await sql<CustomerRow>(
        `SELECT ${CUSTOMER_SQL_COLUMNS} FROM customers c WHERE c.email_normalized = $1`,
        [emailNormalized],
      )
      if (!rows[0]) return { kind: 'claimed', lease } as const
      await endLease(sql, lease)
      return { kind: 'existing', customer: toCustomerRecord(rows[0]) } as const
    })
  }

  /**
   * Erases this service's copy of the customer's personal data in ONE transaction, under the
   * customer's row lock (so it serialises with every change that writes an event for the customer):
   * email (redactedEmail) and names; every KYC link URL (and the live link is superseded); the raw
   * bodies of inbound deliveries about the customer or its virtual accounts; the beneficiary name and
   * address of its accounts' deposit instructions; the personal members of its events' `data`
   * (customer.created's email and names, virtual_account.*'s beneficiary); a creation lease still
   * named after the email. Kept: ids, statuses, history, times, destination addresses (a wallet
   * address is not in the contract's list, and the account is identified by it). Writes
   * `customer.redacted` (data: the redacted customer) in the same transaction.
   *
   * Idempotent: a customer redacted before is returned unchanged with `changed: false` and no event.
   * Null: no such customer.
   */
  async redact(id: string): Promise<{ customer: CustomerRecord; changed: boolean } | null> {
    return this.prisma.sql.transaction(async (sql) => {
      // Lock order as every other writer: the account rows before the customer's (an account's
      // record/refresh locks its row, then the customer's by appending the event), so no deadlock;
      // and an account write waiting here sees the redaction once it goes on (its scrub).
      await sql('SELECT 1 FROM virtual_accounts WHERE customer_id = $1::uuid FOR UPDATE', [id])
      const [row] = await sql<CustomerRow & { emailNormalized: string }>(
        `SELECT ${CUSTOMER_SQL_COLUMNS}, c.email_normalized AS "emailNormalized"
           FROM customers c WHERE c.id = $1::uuid FOR UPDATE`,
        [id],
      )
      if (!row) return null
      if (row.redactedAt) return { customer: toCustomerRecord(row), changed: false }
      const placeholder = redactedEmail(id)
      const [updated] = await sql<CustomerRow>(
        `UPDATE customers c
            SET email = $2, email_normalized = $2, first_name = NULL, last_name = NULL, company_name = NULL,
                redacted_at = now(), updated_at = now()
          WHERE c.id = $1::uuid
          RETURNING ${CUSTOMER_SQL_COLUMNS}`,
        [id, placeholder],
      )
      await sql(
        `UPDATE kyc_sessions SET url = $2, live_customer_id = NULL, superseded_at = coalesce(superseded_at, now())
          WHERE customer_id = $1::uuid`,
        [id, REDACTED_URL],
      )
      await sql(
        `UPDATE webhook_deliveries SET raw_body = NULL
          WHERE raw_body IS NOT NULL
            AND entity_id IN (SELECT $2::text UNION ALL
                              SELECT align_virtual_account_id FROM virtual_accounts
                               WHERE customer_id = $1::uuid AND align_virtual_account_id IS NOT NULL)`,
        [id, row.alignCustomerId],
      )
      await sql(
        `UPDATE virtual_accounts SET deposit_instructions = deposit_instructions || $2::jsonb, updated_at = now()
          WHERE customer_id = $1::uuid AND jsonb_typeof(deposit_instructions) = 'object'`,
        [id, REDACTED_DEPOSIT_FIELDS],
      )
      await sql(
        `UPDATE events
            SET data = data || jsonb_build_object('email', $2::text, 'firstName', NULL, 'lastName', NULL,
                                                  'companyName', NULL)
          WHERE customer_id = $1::uuid AND type = 'customer.created' AND jsonb_typeof(data) = 'object'`,
        [id, placeholder],
      )
      await sql(
        `UPDATE events
            SET data = jsonb_set(data, '{depositInstructions}', data->'depositInstructions' || $2::jsonb)
          WHERE customer_id = $1::uuid AND type IN ('virtual_account.created', 'virtual_account.updated')
            AND jsonb_typeof(data->'depositInstructions') = 'object'`,
        [id, REDACTED_DEPOSIT_FIELDS],
      )
      await sql('DELETE FROM leases WHERE key = $1', [creationLeaseKey(row.emailNormalized)])
      const customer = toCustomerRecord(updated!)
      await appendEvent(sql, { type: 'customer.redacted', customerId: id, data: toCustomerDto(customer) })
      return { customer, changed: true }
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
   * deliveries that arrived before the customer was recorded are released in the same commit, and
   * the `customer.created` event (as GET returns the new customer) is written with it; an adopted
   * customer whose KYC had moved on at Align gets its `customer.kyc.updated` right after.
   */
  async recordCreated(
    lease: Lease,
    n: NewCustomer,
  ): Promise<{ customer: CustomerRecord; created: boolean } | 'redacted' | null> {
    // Plain SQL on the pool (not a Prisma interactive transaction, whose 2 s default wait for a
    // connection failed creations in a burst): a few short statements.
    return this.prisma.sql.transaction(async (sql) => {
      if (!(await endLease(sql, lease))) return null
      const same = await sql<CustomerRow>(
        `SELECT ${CUSTOMER_SQL_COLUMNS} FROM customers c WHERE c.align_customer_id = $1`,
        [n.alignCustomerId],
      )
      // Adopting a redacted customer would bring its personal data back under its old id: refused.
      if (same[0]?.redactedAt) return 'redacted'
      if (same[0]) return { customer: toCustomerRecord(same[0]), created: false }
      const id = randomUUID()
      const inserted = await sql<CustomerRow>(
        `INSERT INTO customers AS c
           (id, align_customer_id, email, email_normalized, type, first_name, last_name, company_name, rails, updated_at)
         VALUES ($1::uuid, $2, $3, $4, $5::"CustomerType", $6, $7, $8, $9::jsonb, now())
         RETURNING ${CUSTOMER_SQL_COLUMNS}`,
        [
          id,
          n.alignCustomerId,
          n.email,
          n.emailNormalized,
          n.type,
          n.firstName,
          n.lastName,
          n.companyName,
          JSON.stringify(n.reading.rails),
        ],
      )
      await appendEvent(sql, {
        type: 'customer.created',
        customerId: id,
        data: toCustomerDto(toCustomerRecord(inserted[0]!)),
      })
      // The row is this transaction's own (invisible to others until commit): no lock to take.
      const { customer } = await applyReadingLocked(sql, id, n.reading, initialKycState())
      await sql(
        `UPDATE webhook_deliveries SET next_attempt_at = now()
          WHERE entity_id = $1 AND status = 'pending' AND next_attempt_at IS NULL`,
        [n.alignCustomerId],
      )
      return { customer, created: true }
    })
  }
}

/**
 * What a redacted customer's email and normalised email become: says nothing about the person, is
 * unique (the customer's own id) and can never be delivered to (`.invalid` is reserved, RFC 2606).
 * The real address is then free: a later create with it makes a new customer unless Align answers
 * with the redacted one's Align id, which recordCreated refuses.
 */
export const redactedEmail = (id: string) => `redacted+${id}@invalid`

/** What a redacted KYC link's URL becomes (kyc_sessions.url is NOT NULL; the session is superseded too). */
const REDACTED_URL = 'redacted:'

/** The personal members of deposit instructions (virtual_accounts and the events that carry them). */
const REDACTED_DEPOSIT_FIELDS = '{"beneficiaryName": null, "beneficiaryAddress": null}'

const creationLeaseKey = (emailNormalized: string) => `customer-email:${emailNormalized}`
