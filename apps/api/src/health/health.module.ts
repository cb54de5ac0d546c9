import { Module } from '@nestjs/common'
import { TerminusModule } from '@nestjs/terminus'
import { AlignStatusController } from './align-status.controller.js'
import { HealthController } from './health.controller.js'

@Module({
  imports: [TerminusModule.forRoot({ gracefulShutdownTimeoutMs: 0, logger: false })],
  controllers: [HealthController, AlignStatusController],
})
export class HealthModule {}
