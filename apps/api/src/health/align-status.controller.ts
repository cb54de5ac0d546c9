import { Controller, Get, Inject } from '@nestjs/common'
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger'
import { AlignApiError, AlignResponseError, AlignTimeoutError } from '@align-kyc/align-client'
import { AlignGateway } from '../align/align.module.js'
import { ApiOperatorProtected, ProblemDto } from '../common/api-docs.js'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'

/** The longest the reachability probe waits on Align (one attempt, no retry). */
const PROBE_TIMEOUT_MS = 3000

const ENVIRONMENTS = ['local', 'sandbox', 'production'] as const
const PROBE_STATES = ['ok', 'error', 'unreachable'] as const

export class AlignProbeDto {
  @ApiProperty({
    enum: PROBE_STATES,
    description:
      'ok: Align answered 2xx; error: it answered, but with an error status (a refused key: 401); unreachable: ' +
      'no answer (connection refused, DNS, timeout)',
  })
  state!: (typeof PROBE_STATES)[number]
  @ApiProperty({ description: 'How long the probe took, in milliseconds' }) latencyMs!: number
  @ApiProperty({ nullable: true, type: String, description: 'What went wrong; null when ok' })
  detail!: string | null
  @ApiProperty({ format: 'date-time' }) checkedAt!: string
}

export class AlignStatusDto {
  @ApiProperty({ enum: ENVIRONMENTS, description: 'ALIGN_ENVIRONMENT' })
  environment!: (typeof ENVIRONMENTS)[number]
  @ApiProperty({
    description: 'Whether the sandbox routes (POST /v1/sandbox/...) exist: sandbox and local, not production',
  })
  sandboxRoutes!: boolean
  @ApiProperty({ type: AlignProbeDto }) align!: AlignProbeDto
}

/**
 * Is Align answering, and which Align is it: for the operators' console (an addition beyond the
 * contract). The probe is `GET /v0/webhooks`, the cheapest authenticated read Align has, so a refused
 * key shows too; one attempt of at most PROBE_TIMEOUT_MS, with nothing of the database held.
 */
@ApiTags('operators')
@ApiExtraModels(ProblemDto)
@Controller('v1/align')
export class AlignStatusController {
  constructor(
    private readonly align: AlignGateway,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('status')
  @ApiOperation({
    summary: "Align's environment and whether it answers now (one probe); operator scope",
    description: 'An addition beyond the contract, for the console.',
  })
  @ApiOkResponse({ type: AlignStatusDto })
  @ApiOperatorProtected()
  async status(): Promise<AlignStatusDto> {
    const environment = this.config.align.environment
    const started = performance.now()
    const checkedAt = new Date().toISOString()
    let state: AlignProbeDto['state'] = 'ok'
    let detail: string | null = null
    try {
      await this.align.client.webhooks.list({
        timeoutMs: Math.min(PROBE_TIMEOUT_MS, this.config.align.timeoutMs),
        maxRetries: 0,
      })
    } catch (e) {
      if (e instanceof AlignApiError) {
        state = 'error'
        detail = `Align answered ${e.status}${e.code ? ` (${e.code})` : ''}`
      } else if (e instanceof AlignResponseError) {
        state = 'error'
        detail = 'Align answered something that is not its API (an unexpected body)'
      } else {
        state = 'unreachable'
        detail =
          e instanceof AlignTimeoutError
            ? `no answer within ${Math.min(PROBE_TIMEOUT_MS, this.config.align.timeoutMs)} ms`
            : e instanceof Error
              ? e.message
              : String(e)
      }
    }
    return {
      environment,
      sandboxRoutes: environment !== 'production',
      align: { state, latencyMs: Math.round(performance.now() - started), detail, checkedAt },
    }
  }
}
