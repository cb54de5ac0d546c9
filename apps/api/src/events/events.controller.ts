import { Controller, Get, Query } from '@nestjs/common'
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger'
import { ApiProtected, ProblemDto } from '../common/api-docs.js'
import { EventPageDto, ListEventsQueryDto, toEventDto } from './dto/event.dto.js'
import { EventsService } from './events.service.js'

@ApiTags('events')
@ApiExtraModels(ProblemDto)
@Controller('v1/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @ApiOperation({
    summary: 'The event feed, oldest first',
    description:
      'Every committed change as an event, after the opaque cursor `after`. Keep polling with the last ' +
      '`nextCursor`: every event is seen exactly once, in commit order, whichever instance committed it.',
  })
  @ApiOkResponse({ type: EventPageDto })
  @ApiProtected('validation_failed')
  async list(@Query() query: ListEventsQueryDto): Promise<EventPageDto> {
    const page = await this.events.feed(query)
    return { items: page.items.map(toEventDto), nextCursor: page.nextCursor }
  }
}
