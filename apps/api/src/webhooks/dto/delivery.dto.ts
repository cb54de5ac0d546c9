import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger'
import { PageQueryDto } from '../../common/page-query.dto.js'
import type { DeliveryRecord, DeliveryStatus } from '../webhooks.repository.js'

import { DELIVERY_STATUSES, listDeliveriesQuerySchema } from './delivery.schema.js'

export { DELIVERY_STATUSES }

/** Align's `customer.kycs.updated` body (documentation only: the route parses the raw bytes itself). */
export class AlignWebhookEventDto {
  @ApiProperty({ example: 'customer.kycs.updated' }) event_type!: string
  @ApiProperty({ description: "Align's customer_id" }) entity_id!: string
  @ApiPropertyOptional({ example: 'customer' }) entity_type?: string
  @ApiProperty({ format: 'date-time' }) created_at!: string
}

export class WebhookAckDto {
  @ApiProperty({ example: true }) received!: boolean
  @ApiProperty({ description: 'True when this exact body was received before (nothing done again)' })
  duplicate!: boolean
}

export class ListDeliveriesQueryDto extends PageQueryDto {
  static readonly schema = listDeliveriesQuerySchema

  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  status?: DeliveryStatus

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      "Only deliveries about this customer (our id): its Align customer_id or one of its virtual accounts' ids; " +
      'an unknown customer: no items',
  })
  customerId?: string
}

export class DeliveryDto {
  @ApiProperty({ format: 'uuid' }) id!: string
  @ApiProperty({ example: 'customer.kycs.updated' }) eventType!: string
  @ApiProperty({ description: "Align's id of the entity (customer_id)" }) entityId!: string
  @ApiProperty({ enum: DELIVERY_STATUSES }) status!: DeliveryStatus
  @ApiProperty({ description: 'Processing attempts so far' }) attempts!: number
  @ApiProperty({ format: 'date-time' }) receivedAt!: string
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) processedAt!: string | null
  @ApiProperty({ nullable: true, type: String }) lastError!: string | null
}

export class DeliveryPageDto {
  @ApiProperty({ type: [DeliveryDto] }) items!: DeliveryDto[]
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass as cursor for the next page; null at the end',
  })
  nextCursor!: string | null
}

export function toDeliveryDto(d: DeliveryRecord): DeliveryDto {
  return {
    id: d.id,
    eventType: d.eventType,
    entityId: d.entityId,
    status: d.status,
    attempts: d.attempts,
    receivedAt: d.receivedAt.toISOString(),
    processedAt: d.processedAt ? d.processedAt.toISOString() : null,
    lastError: d.lastError,
  }
}
