import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common'
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger'
import type { FastifyReply } from 'fastify'
import { ApiProtected } from '../common/api-docs.js'
import { UuidPipe } from '../common/uuid.pipe.js'
import {
  CapabilitiesDto,
  CreateKycSessionDto,
  KycSessionDto,
  KycStatusDto,
  toKycSessionDto,
  toKycStatusDto,
} from './dto/kyc.dto.js'
import { KycService } from './kyc.service.js'

@ApiTags('kyc')
@Controller('v1/customers/:id')
export class KycController {
  constructor(private readonly kyc: KycService) {}

  @Post('kyc-sessions')
  @HttpCode(201)
  @ApiCreatedResponse({ type: KycSessionDto, description: 'A new link from Align' })
  @ApiOkResponse({ type: KycSessionDto, description: 'The live link, reused' })
  @ApiProtected(
    'validation_failed',
    'malformed_json',
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

  @Get('kyc')
  @ApiOkResponse({ type: KycStatusDto })
  @ApiProtected('validation_failed', 'customer_not_found')
  async status(@Param('id', UuidPipe) id: string): Promise<KycStatusDto> {
    return toKycStatusDto(await this.kyc.view(id), new Date())
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
