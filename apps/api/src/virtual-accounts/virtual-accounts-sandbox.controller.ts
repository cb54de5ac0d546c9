import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common'
import { ApiOkResponse, ApiTags } from '@nestjs/swagger'
import { ApiProtected } from '../common/api-docs.js'
import { UuidPipe } from '../common/uuid.pipe.js'
import {
  SimulateVirtualAccountDto,
  VirtualAccountDto,
  toVirtualAccountDto,
} from './dto/virtual-account.dto.js'
import { VirtualAccountsService } from './virtual-accounts.service.js'

/** Only mounted when ALIGN_ENVIRONMENT is sandbox or local (VirtualAccountsModule.forRoot): 404 in production. */
@ApiTags('sandbox')
@Controller('v1/sandbox/customers/:id/virtual-accounts/:accountId')
export class VirtualAccountsSandboxController {
  constructor(private readonly accounts: VirtualAccountsService) {}

  @Post('simulate')
  @HttpCode(200)
  @ApiOkResponse({ type: VirtualAccountDto })
  @ApiProtected(
    'validation_failed',
    'malformed_json',
    'customer_not_found',
    'virtual_account_not_found',
    'upstream_error',
    'upstream_unavailable',
  )
  async simulate(
    @Param('id', UuidPipe) id: string,
    @Param('accountId', UuidPipe) accountId: string,
    @Body() body: SimulateVirtualAccountDto,
  ): Promise<VirtualAccountDto> {
    return toVirtualAccountDto(await this.accounts.simulate(id, accountId, body.action))
  }
}
