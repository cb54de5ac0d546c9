import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common'
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger'
import type { FastifyReply } from 'fastify'
import { ApiOperatorProtected, ApiProtected } from '../common/api-docs.js'
import { ClientTokenAllowed } from '../common/client-tokens.js'
import { UuidPipe } from '../common/uuid.pipe.js'
import {
  CapabilitiesDto,
  ClientTokenDto,
  CreateClientTokenDto,
  CreateKycSessionDto,
  IssuedLinkListDto,
  LiveKycStatusDto,
  KycSessionDto,
  KycStatusDto,
  toIssuedLinkDto,
  toKycSessionDto,
  toKycStatusDto,
} from './dto/kyc.dto.js'
import { clientTokenTtlMs } from './dto/kyc.schema.js'
import { KycService } from './kyc.service.js'

@ApiTags('kyc')
@Controller('v1/customers/:id')
export class KycController {
  constructor(private readonly kyc: KycService) {}

  @Post('kyc-sessions')
  @ClientTokenAllowed()
  @HttpCode(201)
  @ApiCreatedResponse({ type: KycSessionDto, description: 'A new link from Align' })
  @ApiOkResponse({ type: KycSessionDto, description: 'The live link, reused' })
  @ApiProtected(
    'validation_failed',
    'malformed_json',
    'insufficient_scope',
    'customer_not_found',
    'kyc_already_approved',
    'customer_redacted',
    'upstream_error',
    'upstream_unavailable',
  )
  async createSession(
    @Param('id', UuidPipe) id: string,
    @Body() body: CreateKycSessionDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<KycSessionDto> {
    const link = await this.kyc.requestLink(id, body?.forceRenew ?? false)
    if (link.reused) reply.status(200)
    return toKycSessionDto(link)
  }

  @Get('kyc-sessions')
  @ApiOperation({
    summary: 'The links issued for the customer and why, newest first (the last 100); operator scope',
    description: 'An addition beyond the contract, for the console. No URLs: the live one is in GET .../kyc.',
  })
  @ApiOkResponse({ type: IssuedLinkListDto })
  @ApiOperatorProtected('validation_failed', 'customer_not_found')
  async issuedLinks(@Param('id', UuidPipe) id: string): Promise<IssuedLinkListDto> {
    return { items: (await this.kyc.issuedLinks(id)).map(toIssuedLinkDto) }
  }

  @Get('kyc')
  @ApiOkResponse({ type: KycStatusDto })
  @ApiProtected('validation_failed', 'customer_not_found')
  async status(@Param('id', UuidPipe) id: string): Promise<KycStatusDto> {
    return toKycStatusDto(await this.kyc.view(id), new Date())
  }

  @Get('kyc/status')
  @ClientTokenAllowed()
  @ApiOkResponse({
    type: LiveKycStatusDto,
    description: 'What a frontend may see: no personal data, no history (also with a client token)',
  })
  @ApiProtected('validation_failed', 'insufficient_scope', 'customer_not_found')
  async liveStatus(@Param('id', UuidPipe) id: string): Promise<LiveKycStatusDto> {
    return this.kyc.liveStatus(id)
  }

  @Post('client-tokens')
  @HttpCode(201)
  @ApiCreatedResponse({
    type: ClientTokenDto,
    description: "A short-lived token for this customer's frontend",
  })
  @ApiProtected(
    'validation_failed',
    'malformed_json',
    'insufficient_scope',
    'customer_not_found',
    'customer_redacted',
  )
  async clientToken(
    @Param('id', UuidPipe) id: string,
    @Body() body: CreateClientTokenDto,
  ): Promise<ClientTokenDto> {
    const { token, expiresAt } = await this.kyc.mintClientToken(id, clientTokenTtlMs(body?.ttl)!)
    return { token, expiresAt: expiresAt.toISOString(), customerId: id }
  }

  @Post('kyc/sync')
  @HttpCode(200)
  @ApiOkResponse({ type: KycStatusDto })
  @ApiProtected('validation_failed', 'customer_not_found', 'upstream_error', 'upstream_unavailable')
  async sync(@Param('id', UuidPipe) id: string): Promise<KycStatusDto> {
    return toKycStatusDto(await this.kyc.sync(id), new Date())
  }

  @Get('capabilities')
  @ApiOkResponse({ type: CapabilitiesDto })
  @ApiProtected('validation_failed', 'customer_not_found')
  async capabilities(@Param('id', UuidPipe) id: string): Promise<CapabilitiesDto> {
    return this.kyc.capabilities(id)
  }
}
