import { type DynamicModule, Module } from '@nestjs/common'
import type { AppConfig } from '../config/app-config.js'
import { KycController } from './kyc.controller.js'
import { KycRepository } from './kyc.repository.js'
import { KycService } from './kyc.service.js'
import { Reconciler } from './reconciler.js'
import { SandboxController } from './sandbox.controller.js'
import { SessionStatusWorker } from './session-status.worker.js'

@Module({})
export class KycModule {
  /** The sandbox simulate route exists only outside production. */
  static forRoot(config: AppConfig): DynamicModule {
    const sandbox = config.align.environment !== 'production'
    return {
      module: KycModule,
      controllers: sandbox ? [KycController, SandboxController] : [KycController],
      providers: [KycService, KycRepository, SessionStatusWorker, Reconciler],
      exports: [KycService],
    }
  }
}
