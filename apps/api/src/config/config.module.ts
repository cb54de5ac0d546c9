import { type DynamicModule, Global, Module } from '@nestjs/common'
import { ConfigModule as NestConfigModule } from '@nestjs/config'
import type { AppConfig } from './app-config.js'

/** Injection token of the validated, typed AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG')

/**
 * Makes the AppConfig validated in main.ts (or built by a test) injectable. The environment is read
 * once, in main.ts; nothing else reads process.env.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [
        NestConfigModule.forRoot({ ignoreEnvFile: true, isGlobal: true, load: [() => ({ app: config })] }),
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    }
  }
}
