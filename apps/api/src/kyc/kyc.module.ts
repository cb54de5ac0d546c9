import { Module } from '@nestjs/common'
import { KycController } from './kyc.controller.js'
import { KycRepository } from './kyc.repository.js'
import { KycService } from './kyc.service.js'
import { Reconciler } from './reconciler.js'
import { SessionStatusWorker } from './session-status.worker.js'

/** KYC links, status reads and sync, the session-status worker and the reconciler. */
@Module({
  controllers: [KycController],
  providers: [KycService, KycRepository, SessionStatusWorker, Reconciler],
  exports: [KycService],
})
export class KycModule {}
