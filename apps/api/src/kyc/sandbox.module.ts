import { Module } from '@nestjs/common'
import { KycModule } from './kyc.module.js'
import { SandboxController } from './sandbox.controller.js'

/**
 * The sandbox simulate route. AppModule imports this module only when ALIGN_ENVIRONMENT is not
 * `production`, so in production the route does not exist (404 not_found).
 */
@Module({
  imports: [KycModule],
  controllers: [SandboxController],
})
export class SandboxModule {}
