import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger'
import { PageQueryDto } from '../../common/page-query.dto.js'
import { KYC_STATUSES, KYC_SUB_STATUSES, type KycStatus, type KycSubStatus } from '@align-kyc/domain'
import type { CustomerRecord } from '../../kyc-state/customer.record.js'
import { createCustomerSchema, listCustomersQuerySchema } from './customer.schema.js'

export class CreateCustomerDto {
  static readonly schema = createCustomerSchema

  @ApiProperty({
    example: 'alice@example.com',
    format: 'email',
    maxLength: 254,
    description: 'Unique per customer, compared case-insensitively',
  })
  email!: string

  @ApiProperty({ enum: ['individual', 'corporate'] })
  type!: 'individual' | 'corporate'

  @ApiPropertyOptional({ example: 'Alice', maxLength: 100, description: 'Required for individuals' })
  firstName?: string

  @ApiPropertyOptional({ example: 'Smith', maxLength: 100, description: 'Required for individuals' })
  lastName?: string

  @ApiPropertyOptional({ example: 'Acme Ltd', maxLength: 200, description: 'Required for corporates' })
  companyName?: string
}

export class ListCustomersQueryDto extends PageQueryDto {
  static readonly schema = listCustomersQuerySchema

  @ApiPropertyOptional({ description: 'Exact email (case-insensitive)' })
  email?: string

  @ApiPropertyOptional({ enum: KYC_STATUSES })
  status?: KycStatus

  @ApiPropertyOptional({
    type: Boolean,
    description:
      'true: only customers pending now whose status last changed over 7 days ago (those GET /v1/stats/kyc ' +
      'counts in stuck.pendingOver7Days); with status, status must be pending',
  })
  stuck?: boolean
}

export class KycSummaryDto {
  @ApiProperty({ enum: KYC_STATUSES }) status!: KycStatus
  @ApiProperty({ enum: KYC_SUB_STATUSES, nullable: true, type: String }) subStatus!: KycSubStatus | null
  @ApiProperty({ format: 'date-time' }) updatedAt!: string
}

export class CustomerDto {
  @ApiProperty({ format: 'uuid' }) id!: string
  @ApiProperty({ description: "Align's customer_id" }) alignCustomerId!: string
  @ApiProperty() email!: string
  @ApiProperty({ enum: ['individual', 'corporate'] }) type!: 'individual' | 'corporate'
  @ApiProperty({ nullable: true, type: String }) firstName!: string | null
  @ApiProperty({ nullable: true, type: String }) lastName!: string | null
  @ApiProperty({ nullable: true, type: String }) companyName!: string | null
  @ApiProperty({ type: KycSummaryDto }) kyc!: KycSummaryDto
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description:
      "When an operator erased this customer's personal data (POST /v1/customers/{id}/redact): email, names and " +
      'company name then read as a placeholder and null; null: never redacted',
  })
  redactedAt!: string | null
  @ApiProperty({ format: 'date-time' }) createdAt!: string
  @ApiProperty({ format: 'date-time' }) updatedAt!: string
}

export class CustomerPageDto {
  @ApiProperty({ type: [CustomerDto] }) items!: CustomerDto[]
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass as cursor for the next page; null at the end',
  })
  nextCursor!: string | null
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
    redactedAt: c.redactedAt ? c.redactedAt.toISOString() : null,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  }
}
