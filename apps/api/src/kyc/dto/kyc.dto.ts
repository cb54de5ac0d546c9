import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger'
import {
  KYC_STATUSES,
  KYC_SUB_STATUSES,
  VIRTUAL_ACCOUNT_CURRENCIES,
  type KycStatus,
  type KycSubStatus,
  type ObservationSource,
  type VirtualAccountCurrency,
} from '@align-kyc/domain'
import type { IssuedLink } from '../kyc.repository.js'
import type { KycView, LinkResult } from '../kyc.service.js'
import { createClientTokenSchema, createKycSessionSchema, simulateSchema } from './kyc.schema.js'

export class CreateKycSessionDto {
  static readonly schema = createKycSessionSchema

  @ApiPropertyOptional({
    default: false,
    description: 'Ask Align for a new link even if the current one is live',
  })
  forceRenew?: boolean
}

export class KycSessionDto {
  @ApiProperty({ description: "Align's hosted KYC flow link" }) kycUrl!: string
  @ApiProperty({ format: 'date-time' }) expiresAt!: string
  @ApiProperty({ description: 'true when the live link was handed out again' }) reused!: boolean
  @ApiProperty({ enum: KYC_STATUSES }) status!: KycStatus
  @ApiProperty({ enum: KYC_SUB_STATUSES, nullable: true, type: String }) subStatus!: KycSubStatus | null
}

const RENEW_REASONS = ['none_yet', 'expired', 'expiring', 'forced', 'resubmission_required'] as const

export class IssuedLinkDto {
  @ApiProperty({ format: 'uuid' }) id!: string
  @ApiProperty({
    enum: RENEW_REASONS,
    description:
      'Why a new link was asked of Align: none_yet (the first), expired, expiring (within the renewal margin), ' +
      'forced (forceRenew), resubmission_required (issued before Align asked for a resubmission)',
  })
  reason!: (typeof RENEW_REASONS)[number]
  @ApiProperty({ enum: KYC_STATUSES, description: 'The KYC status when it was issued' })
  issuedStatus!: KycStatus
  @ApiProperty({ enum: KYC_SUB_STATUSES, nullable: true, type: String })
  issuedSubStatus!: KycSubStatus | null
  @ApiProperty({ format: 'date-time' }) createdAt!: string
  @ApiProperty({ format: 'date-time' }) expiresAt!: string
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'When a newer link (or a redaction) replaced it; null: the live link',
  })
  supersededAt!: string | null
}

export class IssuedLinkListDto {
  @ApiProperty({ type: [IssuedLinkDto] }) items!: IssuedLinkDto[]
}

export function toIssuedLinkDto(l: IssuedLink): IssuedLinkDto {
  return {
    id: l.id,
    reason: l.reason,
    issuedStatus: l.issuedStatus,
    issuedSubStatus: l.issuedSubStatus,
    createdAt: l.createdAt.toISOString(),
    expiresAt: l.expiresAt.toISOString(),
    supersededAt: l.supersededAt ? l.supersededAt.toISOString() : null,
  }
}

export class LiveSessionDto {
  @ApiProperty() kycUrl!: string
  @ApiProperty({ format: 'date-time' }) expiresAt!: string
  @ApiProperty() expired!: boolean
}

export class HistoryEntryDto {
  @ApiProperty({ enum: KYC_STATUSES }) status!: KycStatus
  @ApiProperty({ enum: KYC_SUB_STATUSES, nullable: true, type: String }) subStatus!: KycSubStatus | null
  @ApiProperty({ enum: ['webhook', 'sync', 'simulation', 'session'] }) source!: ObservationSource
  @ApiProperty({ format: 'date-time', description: "The observation's own time" }) occurredAt!: string
  @ApiProperty({ format: 'date-time', description: 'When this service recorded it' }) recordedAt!: string
}

export class KycStatusDto {
  @ApiProperty({ enum: KYC_STATUSES }) status!: KycStatus
  @ApiProperty({ enum: KYC_SUB_STATUSES, nullable: true, type: String }) subStatus!: KycSubStatus | null
  @ApiProperty({ format: 'date-time' }) updatedAt!: string
  @ApiProperty({ type: LiveSessionDto, nullable: true }) session!: LiveSessionDto | null
  @ApiProperty({ type: [HistoryEntryDto], description: 'Oldest first' }) history!: HistoryEntryDto[]
}

export class RailDto {
  @ApiProperty({ example: 'usd' }) currency!: string
  @ApiProperty({ example: 'ach' }) paymentRail!: string
  @ApiProperty({ example: 'approved' }) status!: string
}

export class CapabilitiesDto {
  @ApiProperty() virtualAccounts!: boolean
  @ApiProperty() transfers!: boolean
  @ApiProperty({ nullable: true, type: String, description: 'Why not, in words; null when allowed' })
  reason!: string | null
  @ApiProperty({ type: [RailDto], description: "Align's status_breakdown as last seen" }) rails!: RailDto[]
  @ApiProperty({
    enum: VIRTUAL_ACCOUNT_CURRENCIES,
    isArray: true,
    example: ['usd', 'eur'],
    description:
      'Source currencies a virtual account may be opened in now, in the order usd, eur, aed: usd needs an ' +
      'approved ach or wire rail (or swift, for sourceRails swift), eur sepa, aed uaefts; with no ' +
      'status_breakdown at all, KYC approval alone decides. Empty unless KYC is approved.',
  })
  virtualAccountCurrencies!: VirtualAccountCurrency[]
}

export class LiveKycStatusDto {
  @ApiProperty({ enum: KYC_STATUSES }) status!: KycStatus
  @ApiProperty({ enum: KYC_SUB_STATUSES, nullable: true, type: String }) subStatus!: KycSubStatus | null
  @ApiProperty({ format: 'date-time' }) updatedAt!: string
  @ApiProperty({ type: CapabilitiesDto }) capabilities!: CapabilitiesDto
  @ApiProperty({ type: LiveSessionDto, nullable: true }) session!: LiveSessionDto | null
}

export class CreateClientTokenDto {
  static readonly schema = createClientTokenSchema

  @ApiPropertyOptional({
    default: '15m',
    example: '15m',
    description: 'How long the token is valid: a duration (30s, 15m, 1h), at most 1h',
  })
  ttl?: string
}

export class ClientTokenDto {
  @ApiProperty({
    description:
      'A JWT for this customer only, accepted on POST .../kyc-sessions, GET .../kyc/status and GET .../kyc/events',
  })
  token!: string
  @ApiProperty({ format: 'date-time' }) expiresAt!: string
  @ApiProperty({ format: 'uuid' }) customerId!: string
}

export class SimulateDto {
  static readonly schema = simulateSchema

  @ApiProperty({ enum: ['kyc.status.approve'] })
  action!: 'kyc.status.approve'
}

export function toKycSessionDto(r: LinkResult): KycSessionDto {
  return {
    kycUrl: r.kycUrl,
    expiresAt: r.expiresAt.toISOString(),
    reused: r.reused,
    status: r.status,
    subStatus: r.subStatus,
  }
}

export function toKycStatusDto(v: KycView, now: Date): KycStatusDto {
  return {
    status: v.customer.kyc.status,
    subStatus: v.customer.kyc.subStatus,
    updatedAt: v.customer.kyc.updatedAt.toISOString(),
    session: v.session
      ? {
          kycUrl: v.session.url,
          expiresAt: v.session.expiresAt.toISOString(),
          expired: v.session.expiresAt <= now,
        }
      : null,
    history: v.history.map((h) => ({
      status: h.status,
      subStatus: h.subStatus,
      source: h.source,
      occurredAt: h.occurredAt.toISOString(),
      recordedAt: h.recordedAt.toISOString(),
    })),
  }
}
