import { Controller, Get, ServiceUnavailableException } from '@nestjs/common'
import { ApiOkResponse, ApiTags } from '@nestjs/swagger'
import { HealthCheck, HealthCheckService, PrismaHealthIndicator } from '@nestjs/terminus'
import { ApiProblems } from '../common/api-docs.js'
import { AppError } from '../common/app-error.js'
import { Public } from '../common/auth.guard.js'
import { DatabaseHealth } from '../database/database-health.js'
import { PrismaService } from '../database/prisma.service.js'

/** Seconds a client (a load balancer, a probe) is told to wait before asking again when not ready. */
const NOT_READY_RETRY_AFTER_SECONDS = 5

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly prismaIndicator: PrismaHealthIndicator,
    private readonly prisma: PrismaService,
    private readonly database: DatabaseHealth,
  ) {}

  /** The process is up. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([])
  }

  /**
   * The process can serve: the database answers, and no write has failed for lack of disk space
   * lately (see DatabaseHealth). Not ready: 503 database_unavailable with Retry-After.
   */
  @Get('ready')
  // Not ready is a problem like any other (terminus would document its own 503 body).
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOkResponse({ description: 'Ready: `{status: "ok", details: {database: {status: "up"}}}`' })
  @ApiProblems('database_unavailable')
  async ready() {
    const diskFull = this.database.notReadyReason()
    if (diskFull)
      throw new AppError('database_unavailable', diskFull, {
        retryAfterSeconds: NOT_READY_RETRY_AFTER_SECONDS,
      })
    try {
      return await this.health.check([
        () => this.prismaIndicator.pingCheck('database', this.prisma, { timeout: 2000 }),
      ])
    } catch (e) {
      if (!(e instanceof ServiceUnavailableException)) throw e
      throw new AppError(
        'database_unavailable',
        'The database did not answer the readiness check (SELECT 1, 2 s timeout).',
        {
          retryAfterSeconds: NOT_READY_RETRY_AFTER_SECONDS,
        },
      )
    }
  }
}
