import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger'
import { EVENT_TYPES, type EventType } from '../outbox.js'
import type { EventRecord } from '../events.repository.js'
import { listEventsQuerySchema } from './event.schema.js'

export class ListEventsQueryDto {
  static readonly schema = listEventsQuerySchema

  @ApiPropertyOptional({
    description: 'nextCursor of the previous answer; omitted: from the oldest event kept',
    maxLength: 200,
  })
  after?: string

  @ApiPropertyOptional({ format: 'uuid', description: "Only this customer's events" })
  customerId?: string

  @ApiPropertyOptional({ enum: EVENT_TYPES, description: 'Only events of this type' })
  type?: EventType

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  limit?: number
}

export class EventDto {
  @ApiProperty({ format: 'uuid', description: 'Also the webhook-id of its deliveries' }) id!: string
  @ApiProperty({ enum: EVENT_TYPES }) type!: EventType
  @ApiProperty({ format: 'date-time', description: 'When the change was committed' }) createdAt!: string
  @ApiProperty({ format: 'uuid' }) customerId!: string
  @ApiProperty({ description: "This customer's events count 1, 2, 3, ... with no gaps", minimum: 1 })
  sequence!: number
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'customer.kyc.updated: {status, subStatus, previousStatus, previousSubStatus, source, occurredAt, capabilities}; ' +
      'customer.created and virtual_account.*: the object as its GET returns it',
  })
  data!: Record<string, unknown>
}

export class EventPageDto {
  @ApiProperty({ type: [EventDto] }) items!: EventDto[]
  @ApiProperty({
    description:
      'Always present: pass it back as `after` to get what follows (the same value when nothing is new)',
  })
  nextCursor!: string
}

/** The event as the feed returns it and as a webhook delivery POSTs it. */
export function toEventDto(e: EventRecord): EventDto {
  return {
    id: e.id,
    type: e.type,
    createdAt: e.createdAt.toISOString(),
    customerId: e.customerId,
    sequence: e.sequence,
    data: e.data as Record<string, unknown>,
  }
}
