import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common'
import { ApiOkResponse, ApiTags } from '@nestjs/swagger'
import { ApiProtected } from '../common/api-docs.js'
import { UuidPipe } from '../common/uuid.pipe.js'
import { KycStatusDto, SimulateDto, toKycStatusDto } from './dto/kyc.dto.js'
import { KycService } from './kyc.service.js'

/** Only mounted when ALIGN_ENVIRONMENT is sandbox or local (see SandboxModule): 404 in production. */
@ApiTags('sandbox')
@Controller('v1/sandbox/customers/:id')
export class SandboxController {
  constructor(private readonly kyc: KycService) {}

  @Post('simulate')
  @HttpCode(200)
  @ApiOkResponse({ type: KycStatusDto })
  @ApiProtected(
    'validation_failed',
    'malformed_json',
    'customer_not_found',
    'upstream_error',
    'upstream_unavailable',
  )
  async simulate(@Param('id', UuidPipe) id: string, @Body() body: SimulateDto): Promise<KycStatusDto> {
    return toKycStatusDto(await this.kyc.simulate(id, body.action), new Date())
  }
}
