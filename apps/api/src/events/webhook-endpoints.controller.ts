import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common'
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger'
import { ApiProtected, ProblemDto } from '../common/api-docs.js'
import { UuidPipe } from '../common/uuid.pipe.js'
import {
  CreatedEndpointDto,
  CreateEndpointDto,
  EndpointDeliveryPageDto,
  EndpointDto,
  EndpointListDto,
  ListEndpointDeliveriesQueryDto,
  RotatedSecretDto,
  toEndpointDeliveryDto,
  toEndpointDto,
  UpdateEndpointDto,
} from './dto/webhook-endpoint.dto.js'
import { WebhookEndpointsService } from './webhook-endpoints.service.js'

@ApiTags('webhook endpoints')
@ApiExtraModels(ProblemDto)
@Controller('v1/webhook-endpoints')
export class WebhookEndpointsController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Register an endpoint for events',
    description:
      'Events are POSTed per the Standard Webhooks specification (webhook-id, webhook-timestamp, webhook-signature), ' +
      "a customer's events in sequence order. The secret appears in this answer only.",
  })
  @ApiCreatedResponse({ type: CreatedEndpointDto })
  @ApiProtected('validation_failed', 'malformed_json', 'url_not_allowed')
  async create(@Body() body: CreateEndpointDto): Promise<CreatedEndpointDto> {
    const { endpoint, secret } = await this.endpoints.create(body)
    return { ...toEndpointDto(endpoint), secret }
  }

  @Get()
  @ApiOperation({ summary: 'Every endpoint, newest first (no secrets)' })
  @ApiOkResponse({ type: EndpointListDto })
  @ApiProtected()
  async list(): Promise<EndpointListDto> {
    return { items: (await this.endpoints.list()).map(toEndpointDto) }
  }

  @Get(':id')
  @ApiOkResponse({ type: EndpointDto })
  @ApiProtected('validation_failed', 'endpoint_not_found')
  async get(@Param('id', UuidPipe) id: string): Promise<EndpointDto> {
    return toEndpointDto(await this.endpoints.get(id))
  }

  @Patch(':id')
  @ApiOkResponse({ type: EndpointDto })
  @ApiProtected('validation_failed', 'malformed_json', 'endpoint_not_found', 'url_not_allowed')
  async update(@Param('id', UuidPipe) id: string, @Body() body: UpdateEndpointDto): Promise<EndpointDto> {
    return toEndpointDto(await this.endpoints.update(id, body))
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an endpoint; its pending deliveries are dropped' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProtected('validation_failed', 'endpoint_not_found')
  async delete(@Param('id', UuidPipe) id: string): Promise<void> {
    await this.endpoints.delete(id)
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new secret; the old one keeps signing too (a second signature) for 24 h' })
  @ApiOkResponse({ type: RotatedSecretDto })
  @ApiProtected('validation_failed', 'endpoint_not_found')
  async rotate(@Param('id', UuidPipe) id: string): Promise<RotatedSecretDto> {
    return { secret: await this.endpoints.rotateSecret(id) }
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: "The endpoint's deliveries, newest event first" })
  @ApiOkResponse({ type: EndpointDeliveryPageDto })
  @ApiProtected('validation_failed', 'endpoint_not_found')
  async deliveries(
    @Param('id', UuidPipe) id: string,
    @Query() query: ListEndpointDeliveriesQueryDto,
  ): Promise<EndpointDeliveryPageDto> {
    const page = await this.endpoints.deliveries(id, query)
    return { items: page.items.map(toEndpointDeliveryDto), nextCursor: page.nextCursor }
  }

  @Post(':id/deliveries/:eventId/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Re-queue a failed delivery (due now, with a fresh retry window)' })
  @ApiAcceptedResponse({ description: 'Queued' })
  @ApiProtected(
    'validation_failed',
    'endpoint_not_found',
    'endpoint_delivery_not_found',
    'delivery_not_retryable',
  )
  async retry(@Param('id', UuidPipe) id: string, @Param('eventId', UuidPipe) eventId: string): Promise<void> {
    await this.endpoints.retry(id, eventId)
  }
}
