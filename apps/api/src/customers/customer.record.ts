import type { KycState, RailStatus } from '@align-kyc/domain'
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
    kyc: { status: row.kycStatus, subStatus: row.kycSubStatus, observedAt: row.kycObservedAt, updatedAt: row.kycUpdatedAt },
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
