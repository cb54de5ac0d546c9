import { Controller, Get, Query } from '@nestjs/common'
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger'
import { ApiOperatorProtected, ProblemDto } from '../common/api-docs.js'
import { KycStatsDto, StatsQueryDto, toKycStatsDto } from './dto/stats.dto.js'
import { StatsService } from './stats.service.js'

@ApiTags('operators')
@ApiExtraModels(ProblemDto)
@Controller('v1/stats')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get('kyc')
  @ApiOperation({
    summary: 'KYC statistics over customers created in [from, to); operator scope',
    description:
      'Status counts, the funnel, time to approval (p50/p90), per-day counts, stuck customers and the delivery queues, ' +
      'computed by the database. A bad date, from >= to, or a span over 366 days: 400 validation_failed.',
  })
  @ApiOkResponse({ type: KycStatsDto })
  @ApiOperatorProtected('validation_failed')
  async kyc(@Query() query: StatsQueryDto): Promise<KycStatsDto> {
    // The pipe has validated and defaulted both (statsQuerySchema).
    const range = query as Required<StatsQueryDto>
    return toKycStatsDto(range, await this.stats.kyc(range.from, range.to))
  }
}
