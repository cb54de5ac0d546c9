import { Controller, Get, Param, Req, Res } from '@nestjs/common'
import { ApiOkResponse, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ApiProtected } from '../common/api-docs.js'
import { ClientTokenAllowed, ClientTokens } from '../common/client-tokens.js'
import { UuidPipe } from '../common/uuid.pipe.js'
import { KycStreams } from './kyc-streams.js'

@ApiTags('kyc')
@Controller('v1/customers/:id')
export class KycStreamController {
  constructor(
    private readonly streams: KycStreams,
    private readonly clientTokens: ClientTokens,
  ) {}

  @Get('kyc/events')
  @ClientTokenAllowed({ queryToken: true })
  @ApiProduces('text/event-stream')
  @ApiQuery({
    name: 'access_token',
    required: false,
    description:
      'A client token, for EventSource (which cannot send headers); never logged. API tokens go in the Authorization header only.',
  })
  @ApiOkResponse({
    description:
      'Server-Sent Events: `event: status` with the GET .../kyc/status body at once, then one per committed change ' +
      '(on any instance); a `: keep-alive` comment every 15 s; `event: expired`, then the end, when the client token expires.',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiProtected('validation_failed', 'insufficient_scope', 'customer_not_found')
  async events(
    @Param('id', UuidPipe) id: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.streams.open(reply, id, this.clientTokens.claimsOf(request)?.expiresAt ?? null)
  }
}
