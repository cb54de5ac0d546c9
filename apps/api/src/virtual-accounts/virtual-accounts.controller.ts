import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common'
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger'
import type { FastifyReply } from 'fastify'
import { ApiProtected } from '../common/api-docs.js'
import { UuidPipe } from '../common/uuid.pipe.js'
import {
  CreateVirtualAccountDto,
  VirtualAccountDto,
  VirtualAccountListDto,
  toVirtualAccountDto,
} from './dto/virtual-account.dto.js'
import { VirtualAccountsService } from './virtual-accounts.service.js'

@ApiTags('virtual accounts')
@Controller('v1/customers/:id/virtual-accounts')
export class VirtualAccountsController {
  constructor(private readonly accounts: VirtualAccountsService) {}

  @Post()
  @HttpCode(201)
  @ApiCreatedResponse({ type: VirtualAccountDto, description: 'Opened at Align' })
  @ApiOkResponse({
    type: VirtualAccountDto,
    description: 'These parameters opened it before: the existing one',
  })
  @ApiProtected(
    'validation_failed',
    'malformed_json',
    'customer_not_found',
    'kyc_not_approved',
    'customer_redacted',
    'rail_not_approved',
    'upstream_error',
    'upstream_unavailable',
  )
  async create(
    @Param('id', UuidPipe) id: string,
    @Body() body: CreateVirtualAccountDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<VirtualAccountDto> {
    const { account, created } = await this.accounts.create(id, body)
    if (!created) reply.status(200)
    return toVirtualAccountDto(account)
  }

  @Get()
  @ApiOkResponse({ type: VirtualAccountListDto })
  @ApiProtected('validation_failed', 'customer_not_found')
  async list(@Param('id', UuidPipe) id: string): Promise<VirtualAccountListDto> {
    return { items: (await this.accounts.list(id)).map(toVirtualAccountDto) }
  }

  @Get(':accountId')
  @ApiOkResponse({ type: VirtualAccountDto })
  @ApiProtected('validation_failed', 'customer_not_found', 'virtual_account_not_found')
  async get(
    @Param('id', UuidPipe) id: string,
    @Param('accountId', UuidPipe) accountId: string,
  ): Promise<VirtualAccountDto> {
    return toVirtualAccountDto(await this.accounts.get(id, accountId))
  }
}
