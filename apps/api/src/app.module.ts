import { type DynamicModule, Module } from '@nestjs/common'
import { APP_FILTER, APP_GUARD } from '@nestjs/core'
import { ThrottlerModule } from '@nestjs/throttler'
import { AlignModule } from './align/align.module.js'
import { BearerAuthGuard } from './common/auth.guard.js'
import { ClientTokensModule } from './common/client-tokens.module.js'
import { ProblemFilter } from './common/problem.filter.js'
import { RedisThrottlerStorage } from './common/redis-throttler.storage.js'
import { TokenThrottlerGuard } from './common/throttler.guard.js'
import type { AppConfig } from './config/app-config.js'
import { AppConfigModule } from './config/config.module.js'
import { DatabaseModule } from './database/database.module.js'
import { EventsModule } from './events/events.module.js'
import { HealthModule } from './health/health.module.js'
import { CustomersModule } from './customers/customers.module.js'
import { KycModule } from './kyc/kyc.module.js'
import { StatsModule } from './stats/stats.module.js'
import { SandboxModule } from './kyc/sandbox.module.js'
import { WebhookHandlersModule } from './common/webhook-handlers.js'
import { VirtualAccountsModule } from './virtual-accounts/virtual-accounts.module.js'
import { WebhooksModule } from './webhooks/webhooks.module.js'

@Module({})
export class AppModule {
  /** The whole service for one validated configuration (main.ts and the e2e tests build it). */
  static forRoot(config: AppConfig, features: DynamicModule['imports'] = []): DynamicModule {
    const throttlerStorage =
      config.rateLimitPerMinute > 0 && config.rateLimitRedisUrl
        ? new RedisThrottlerStorage(config.rateLimitRedisUrl)
        : null
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        ThrottlerModule.forRoot({
          throttlers: [{ name: 'default', ttl: 60_000, limit: Math.max(1, config.rateLimitPerMinute) }],
          ...(throttlerStorage ? { storage: throttlerStorage } : {}),
        }),
        DatabaseModule,
        ClientTokensModule,
        AlignModule,
        HealthModule,
        CustomersModule,
        KycModule,
        // The sandbox simulate route exists only outside production (404 there).
        ...(config.align.environment !== 'production' ? [SandboxModule] : []),
        VirtualAccountsModule.forRoot({ sandbox: config.align.environment !== 'production' }),
        WebhookHandlersModule,
        WebhooksModule,
        EventsModule,
        StatsModule,
        ...(features ?? []),
      ],
      providers: [
        // Order matters: authenticate first, then count against the caller's token.
        { provide: APP_GUARD, useClass: BearerAuthGuard },
        // RATE_LIMIT_PER_MINUTE=0: no throttler guard at all (it would still run on every request).
        ...(config.rateLimitPerMinute > 0 ? [{ provide: APP_GUARD, useClass: TokenThrottlerGuard }] : []),
        { provide: APP_FILTER, useClass: ProblemFilter },
        // A provider too, so that its connection is closed on shutdown.
        ...(throttlerStorage ? [{ provide: RedisThrottlerStorage, useValue: throttlerStorage }] : []),
      ],
    }
  }
}
