import { type DynamicModule, Module } from '@nestjs/common'
import { VirtualAccountsSandboxController } from './virtual-accounts-sandbox.controller.js'
import { VirtualAccountsController } from './virtual-accounts.controller.js'
import { VirtualAccountsRepository } from './virtual-accounts.repository.js'
import { VirtualAccountsService } from './virtual-accounts.service.js'

/**
 * Virtual accounts, gated on KYC per rail, and Align's `virtual_account.created` webhook (registered
 * with WebhookHandlers). The sandbox simulate route is mounted only outside production (404 there).
 */
@Module({})
export class VirtualAccountsModule {
  static forRoot(opts: { sandbox: boolean }): DynamicModule {
    return {
      module: VirtualAccountsModule,
      controllers: [VirtualAccountsController, ...(opts.sandbox ? [VirtualAccountsSandboxController] : [])],
      providers: [VirtualAccountsService, VirtualAccountsRepository],
      exports: [VirtualAccountsService],
    }
  }
}
