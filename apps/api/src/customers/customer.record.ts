import type { KycState, KycStatus, KycSubStatus, RailStatus } from '@align-kyc/domain'
import type { Customer } from '../generated/prisma/client.js'
import type { CustomerDto } from './dto/customer.dto.js'

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
  createdAt: Date
  updatedAt: Date
}

export function toCustomerRecord(row: Customer): CustomerRecord {
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
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  }
}

export function toCustomerDto(c: CustomerRecord): CustomerDto {
  return {
    id: c.id,
    alignCustomerId: c.alignCustomerId,
    email: c.email,
    type: c.type,
    firstName: c.firstName,
    lastName: c.lastName,
    companyName: c.companyName,
    kyc: { status: c.kyc.status, subStatus: c.kyc.subStatus, updatedAt: c.kyc.updatedAt.toISOString() },
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  }
}

/** The customers columns, as read by the plain-SQL paths (`c` is the table alias; enums as text). */
export const CUSTOMER_SQL_COLUMNS = `c.id::text AS id, c.align_customer_id, c.email, c.type::text AS type, c.first_name,
  c.last_name, c.company_name, c.kyc_status::text AS kyc_status, c.kyc_sub_status::text AS kyc_sub_status,
  c.kyc_observed_at, c.kyc_updated_at, c.rails, c.created_at, c.updated_at`

/** A row read with CUSTOMER_SQL_COLUMNS. */
export type CustomerSqlRow = {
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
}

export function customerFromSqlRow(r: CustomerSqlRow): CustomerRecord {
  return {
    id: r.id,
    alignCustomerId: r.align_customer_id,
    email: r.email,
    type: r.type,
    firstName: r.first_name,
    lastName: r.last_name,
    companyName: r.company_name,
    kyc: {
      status: r.kyc_status,
      subStatus: r.kyc_sub_status,
      observedAt: r.kyc_observed_at,
      updatedAt: r.kyc_updated_at,
    },
    rails: Array.isArray(r.rails) ? (r.rails as RailStatus[]) : [],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}
