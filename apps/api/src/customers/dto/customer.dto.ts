import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger'
import { PageQueryDto } from '../../common/page-query.dto.js'
import { Transform } from 'class-transformer'
import { IsEmail, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator'
import { KYC_STATUSES, KYC_SUB_STATUSES, type KycStatus, type KycSubStatus } from '@align-kyc/domain'

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value)

export class CreateCustomerDto {
  @ApiProperty({
    example: 'alice@example.com',
    description: 'Unique per customer, compared case-insensitively',
  })
  @Transform(trim)
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email!: string

  @ApiProperty({ enum: ['individual', 'corporate'] })
  @IsIn(['individual', 'corporate'], { message: 'type must be individual or corporate' })
  type!: 'individual' | 'corporate'

  @ApiPropertyOptional({ example: 'Alice', description: 'Required for individuals' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  firstName?: string

  @ApiPropertyOptional({ example: 'Smith', description: 'Required for individuals' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  lastName?: string

  @ApiPropertyOptional({ example: 'Acme Ltd', description: 'Required for corporates' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  companyName?: string
}

export class ListCustomersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Exact email (case-insensitive)' })
  @IsOptional()
  @Transform(trim)
  @IsEmail({}, { message: 'email must be a valid email address' })
  email?: string

  @ApiPropertyOptional({ enum: KYC_STATUSES })
  @IsOptional()
  @IsIn(KYC_STATUSES as unknown as string[], { message: `status must be one of ${KYC_STATUSES.join(', ')}` })
  status?: KycStatus
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
