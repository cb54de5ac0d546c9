import type { KycState, RailStatus } from '@align-kyc/domain'
import type { Customer } from '../generated/prisma/client.js'

/** A customer as the service layer sees it (what repositories return). */
export type CustomerRecord = {
  id: string
  alignCustomerId: string
  email: string
  type: 'individual' | 'corporate'
  firstName: string | null
  lastName: string | null
  companyName: string | null
  kyc: KycState & { updatedAt: Date }
  rails: RailStatus[]
  /** When an operator erased the customer's personal data; null: never. A redacted customer gets no new link or account. */
  redactedAt: Date | null
  createdAt: Date
  updatedAt: Date
}

/**
 * The customers columns a CustomerRecord is made of, as Prisma's model names them. Prisma reads
 * return them; the plain-SQL paths select CUSTOMER_SQL_COLUMNS, which alias the columns to the same
 * names, so one mapper (toCustomerRecord) serves both.
 */
export type CustomerRow = Pick<
  Customer,
  | 'id'
  | 'alignCustomerId'
  | 'email'
  | 'type'
  | 'firstName'
  | 'lastName'
  | 'companyName'
  | 'kycStatus'
  | 'kycSubStatus'
  | 'kycObservedAt'
  | 'kycUpdatedAt'
  | 'rails'
  | 'redactedAt'
  | 'createdAt'
  | 'updatedAt'
>

/** The one mapper of a customer row (Prisma's or plain SQL's, see CustomerRow) to a CustomerRecord. */
export function toCustomerRecord(row: CustomerRow): CustomerRecord {
  return {
    id: row.id,
    alignCustomerId: row.alignCustomerId,
    email: row.email,
    type: row.type,
    firstName: row.firstName,
    lastName: row.lastName,
    companyName: row.companyName,
    kyc: {
      status: row.kycStatus,
      subStatus: row.kycSubStatus,
      observedAt: row.kycObservedAt,
      updatedAt: row.kycUpdatedAt,
    },
    rails: Array.isArray(row.rails) ? (row.rails as RailStatus[]) : [],
    redactedAt: row.redactedAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  }
}

/**
 * The customers columns as a CustomerRow, for the plain-SQL paths (`c` is the table alias; ids and
 * enums as text, as Prisma returns them).
 */
export const CUSTOMER_SQL_COLUMNS = `c.id::text AS "id", c.align_customer_id AS "alignCustomerId", c.email AS "email",
  c.type::text AS "type", c.first_name AS "firstName", c.last_name AS "lastName", c.company_name AS "companyName",
  c.kyc_status::text AS "kycStatus", c.kyc_sub_status::text AS "kycSubStatus",
  c.kyc_observed_at AS "kycObservedAt", c.kyc_updated_at AS "kycUpdatedAt", c.rails AS "rails",
  c.redacted_at AS "redactedAt", c.created_at AS "createdAt", c.updated_at AS "updatedAt"`
