import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger'
import { PageQueryDto } from '../../common/page-query.dto.js'
import { EVENT_TYPES, type EventType } from '../outbox.js'
import type {
  EndpointRecord,
  EndpointStatus,
  OutboundDeliveryRecord,
  OutboundStatus,
} from '../webhook-endpoints.repository.js'
import {
  createEndpointSchema,
  listEndpointDeliveriesQuerySchema,
  OUTBOUND_STATUSES,
  updateEndpointSchema,
} from './webhook-endpoint.schema.js'

const URL_DOC =
  'Where events are POSTed. In production: https, not resolving to a loopback, private or link-local address'
const TYPES_DOC = 'Event types to send; omitted or empty: every type'

export class CreateEndpointDto {
  static readonly schema = createEndpointSchema

  @ApiProperty({ example: 'https://hooks.example.com/align-kyc', maxLength: 2000, description: URL_DOC })
  url!: string

  @ApiPropertyOptional({ enum: EVENT_TYPES, isArray: true, description: TYPES_DOC })
  eventTypes?: EventType[]

  @ApiPropertyOptional({ maxLength: 500 })
  description?: string
}

export class UpdateEndpointDto {
  static readonly schema = updateEndpointSchema

  @ApiPropertyOptional({ maxLength: 2000, description: URL_DOC }) url?: string
  @ApiPropertyOptional({ enum: EVENT_TYPES, isArray: true, description: TYPES_DOC }) eventTypes?: EventType[]
  @ApiPropertyOptional({ maxLength: 500, nullable: true, type: String }) description?: string | null

  @ApiPropertyOptional({
    enum: ['enabled', 'disabled'],
    description: 'disabled: nothing is sent to it, and its pending deliveries are dropped (as failed)',
  })
  status?: EndpointStatus
}

export class EndpointDto {
  @ApiProperty({ format: 'uuid' }) id!: string
  @ApiProperty() url!: string
  @ApiProperty({ enum: EVENT_TYPES, isArray: true, description: 'Empty: every type' })
  eventTypes!: EventType[]
  @ApiProperty({ nullable: true, type: String }) description!: string | null
  @ApiProperty({ enum: ['enabled', 'disabled'] }) status!: EndpointStatus
  @ApiProperty({ format: 'date-time' }) createdAt!: string
}

export class CreatedEndpointDto extends EndpointDto {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description:
      'whsec_ + base64: verify deliveries with it (any Standard Webhooks library). Shown only here',
  })
  secret!: string
}

export class EndpointListDto {
  @ApiProperty({ type: [EndpointDto] }) items!: EndpointDto[]
}

export class RotatedSecretDto {
  @ApiProperty({
    description:
      'The new secret (shown only here); the old one keeps signing too, a second signature, for 24 h',
  })
  secret!: string
}

export class ListEndpointDeliveriesQueryDto extends PageQueryDto {
  static readonly schema = listEndpointDeliveriesQuerySchema

  @ApiPropertyOptional({ enum: OUTBOUND_STATUSES }) status?: OutboundStatus
}

export class EndpointDeliveryDto {
  @ApiProperty({ format: 'uuid', description: 'The event (and the webhook-id header)' }) eventId!: string
  @ApiProperty({ enum: EVENT_TYPES }) eventType!: EventType
  @ApiProperty({ enum: OUTBOUND_STATUSES }) status!: OutboundStatus
  @ApiProperty({ description: 'Attempts so far' }) attempts!: number
  @ApiProperty({ nullable: true, type: Number }) lastStatusCode!: number | null
  @ApiProperty({ nullable: true, type: String }) lastError!: string | null
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description:
      'When it is tried next. Null once delivered or failed, and while pending behind an earlier event of the same customer for this endpoint (it is due as soon as that one ends)',
  })
  nextAttemptAt!: string | null
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) deliveredAt!: string | null
}

export class EndpointDeliveryPageDto {
  @ApiProperty({ type: [EndpointDeliveryDto] }) items!: EndpointDeliveryDto[]
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass as cursor for the next page; null at the end',
  })
  nextCursor!: string | null
}

export function toEndpointDto(e: EndpointRecord): EndpointDto {
  return {
    id: e.id,
    url: e.url,
    eventTypes: e.eventTypes,
    description: e.description,
    status: e.status,
    createdAt: e.createdAt.toISOString(),
  }
}

export function toEndpointDeliveryDto(d: OutboundDeliveryRecord): EndpointDeliveryDto {
  return {
    eventId: d.eventId,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    nextAttemptAt: d.nextAttemptAt ? d.nextAttemptAt.toISOString() : null,
    deliveredAt: d.deliveredAt ? d.deliveredAt.toISOString() : null,
  }
}
