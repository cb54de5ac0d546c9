import { Controller, Get, Headers, HttpCode, Param, Post, Query, Req } from '@nestjs/common'
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiExtraModels,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger'
import type { FastifyRequest } from 'fastify'
import { ALIGN_SIGNATURE_HEADER } from '@align-kyc/align-client'
import { ApiOperatorProtected, ApiProblems, ProblemDto } from '../common/api-docs.js'
import { Public } from '../common/auth.guard.js'
import { UuidPipe } from '../common/uuid.pipe.js'
import {
  AlignWebhookEventDto,
  DeliveryDto,
  DeliveryPageDto,
  ListDeliveriesQueryDto,
  WebhookAckDto,
  toDeliveryDto,
} from './dto/delivery.dto.js'
import { WebhooksService } from './webhooks.service.js'

@ApiTags('webhooks')
@ApiExtraModels(ProblemDto)
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post('align')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: "Align's webhook",
    description:
      'Verifies x-hmac-signature over the raw body, stores the delivery (once per body) and answers 200 once it is ' +
      'durable; customer.kycs.updated is then applied from a fresh read of the customer. Other event types are stored ' +
      'and acknowledged.',
  })
  @ApiHeader({ name: ALIGN_SIGNATURE_HEADER, required: true, description: 'Hex HMAC-SHA256 of the raw body' })
  @ApiBody({ type: AlignWebhookEventDto })
  @ApiOkResponse({ type: WebhookAckDto, description: 'Stored (or stored before)' })
  @ApiProblems('invalid_signature', 'invalid_webhook', 'payload_too_large', 'database_unavailable')
  async receive(
    @Req() req: FastifyRequest,
    @Headers(ALIGN_SIGNATURE_HEADER) signature?: string,
  ): Promise<WebhookAckDto> {
    const body = Buffer.isBuffer(req.body) ? req.body : undefined
    const result = await this.webhooks.receive(body, signature)
    return { received: true, duplicate: result.duplicate }
  }

  @Get('deliveries')
  @ApiOperation({ summary: 'Stored deliveries, newest first (no bodies); operator scope' })
  @ApiOkResponse({ type: DeliveryPageDto })
  @ApiOperatorProtected('validation_failed')
  async list(@Query() query: ListDeliveriesQueryDto): Promise<DeliveryPageDto> {
    const page = await this.webhooks.list(query)
    return { items: page.items.map(toDeliveryDto), nextCursor: page.nextCursor }
  }

  @Post('deliveries/:id/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Re-queue a pending or failed delivery; operator scope' })
  @ApiAcceptedResponse({ type: DeliveryDto, description: 'Queued for processing now' })
  @ApiOperatorProtected('validation_failed', 'delivery_not_found', 'delivery_not_retryable')
  async retry(@Param('id', UuidPipe) id: string): Promise<DeliveryDto> {
    return toDeliveryDto(await this.webhooks.retry(id))
  }
}
