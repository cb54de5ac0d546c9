import { type DynamicModule, Global, Module } from '@nestjs/common'
import { ConfigModule as NestConfigModule, registerAs } from '@nestjs/config'
import type { AppConfig } from './app-config.js'

/** Injection token of the validated, typed AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG')

/**
 * Makes the AppConfig validated in main.ts (or built by a test) injectable: as the `app` namespace of
 * `@nestjs/config` (`ConfigService.get('app.port')`), and typed under APP_CONFIG, which is that same
 * object. `@nestjs/config` only carries it: loadConfig stays the one validation, so it reads no env
 * file and no process.env (nothing but main.ts reads the environment).
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    const app = registerAs('app', () => config)
    return {
      module: AppConfigModule,
      imports: [
        NestConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, skipProcessEnv: true, load: [app] }),
      ],
      providers: [{ provide: APP_CONFIG, useExisting: app.KEY }],
      exports: [APP_CONFIG],
    }
  }
}
