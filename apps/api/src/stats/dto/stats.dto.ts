import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger'
import type { KycStats } from '../stats.repository.js'
import { STATS_DEFAULT_SPAN_DAYS, STATS_MAX_SPAN_DAYS, statsQuerySchema } from './stats.schema.js'

export class StatsQueryDto {
  static readonly schema = statsQuerySchema()

  @ApiPropertyOptional({
    description: `Start of the range (inclusive): an ISO-8601 date (midnight UTC) or date-time with an offset. Default: ${STATS_DEFAULT_SPAN_DAYS} days before \`to\``,
    example: '2026-11-01',
  })
  from?: Date

  @ApiPropertyOptional({
    description: `End of the range (exclusive), same forms; default: now. At most ${STATS_MAX_SPAN_DAYS} days after \`from\``,
    example: '2026-12-01',
  })
  to?: Date
}

export class StatsByStatusDto {
  @ApiProperty() not_started!: number
  @ApiProperty() pending!: number
  @ApiProperty() approved!: number
  @ApiProperty() rejected!: number
}

export class StatsFunnelDto {
  @ApiProperty({ description: 'Customers created in the range' }) created!: number
  @ApiProperty({ description: '... of which were ever handed a KYC link' }) linkIssued!: number
  @ApiProperty({ description: '... were ever pending (started the KYC form)' }) started!: number
  @ApiProperty({ description: '... were ever approved' }) approved!: number
  @ApiProperty({ description: '... were ever rejected (also those approved after a resubmission)' })
  rejected!: number
}

export class StatsTimeToApprovalDto {
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Median seconds from creation to first approval; null: none approved',
  })
  p50Seconds!: number | null
  @ApiProperty({ nullable: true, type: Number, description: '90th percentile, likewise' })
  p90Seconds!: number | null
}

export class StatsDayDto {
  @ApiProperty({ example: '2026-11-01', description: 'UTC day of creation' }) day!: string
  @ApiProperty({ description: 'Customers created that day' }) created!: number
  @ApiProperty({ description: '... of which were ever approved (by now)' }) approved!: number
  @ApiProperty({ description: '... of which were ever rejected (by now)' }) rejected!: number
}

export class StatsStuckDto {
  @ApiProperty({
    description:
      'Customers pending now whose status last changed more than 7 days ago: over ALL customers, not only the range (an alarm; the longest stuck were usually created before it)',
  })
  pendingOver7Days!: number
}

export class StatsQueueDto {
  @ApiProperty() pending!: number
  @ApiProperty() failed!: number
}

export class KycStatsDto {
  @ApiProperty({ format: 'date-time' }) from!: string
  @ApiProperty({ format: 'date-time' }) to!: string
  @ApiProperty({
    type: StatsByStatusDto,
    description: 'Current status of the customers created in the range',
  })
  byStatus!: StatsByStatusDto
  @ApiProperty({ type: StatsFunnelDto }) funnel!: StatsFunnelDto
  @ApiProperty({ type: StatsTimeToApprovalDto }) timeToApproval!: StatsTimeToApprovalDto
  @ApiProperty({
    type: [StatsDayDto],
    description:
      'One entry per UTC day the range touches, oldest first, zeros included (customers by creation day)',
  })
  byDay!: StatsDayDto[]
  @ApiProperty({ type: StatsStuckDto }) stuck!: StatsStuckDto
  @ApiProperty({ type: StatsQueueDto, description: 'Inbound Align webhook deliveries now (not range-bound)' })
  inbound!: StatsQueueDto
  @ApiProperty({
    type: StatsQueueDto,
    description: 'Outbound event deliveries to webhook endpoints now (not range-bound)',
  })
  outbound!: StatsQueueDto
}

export function toKycStatsDto(range: { from: Date; to: Date }, s: KycStats): KycStatsDto {
  return { from: range.from.toISOString(), to: range.to.toISOString(), ...s }
}
