import { Inject, Injectable, Module } from '@nestjs/common'
import { ConfigService } from '@nestjs/config'
import { NestFactory } from '@nestjs/core'
import { loadConfig, type AppConfig } from './app-config.js'
import { APP_CONFIG, AppConfigModule } from './config.module.js'

@Injectable()
class Reader {
  constructor(
    @Inject(APP_CONFIG) readonly typed: AppConfig,
    readonly nest: ConfigService,
  ) {}
}

describe('AppConfigModule', () => {
  it('serves the one validated AppConfig through APP_CONFIG and ConfigService, and no process.env', async () => {
    const config = loadConfig({ PORT: '4321' })
    @Module({ imports: [AppConfigModule.forRoot(config)], providers: [Reader] })
    class RootModule {}
    const app = await NestFactory.createApplicationContext(RootModule, { logger: false })
    try {
      const reader = app.get(Reader)
      expect(reader.typed).toBe(config)
      expect(reader.nest.get<AppConfig>('app')).toBe(config)
      expect(reader.nest.get<number>('app.port')).toBe(4321)
      // The environment is read once, by loadConfig in main.ts: ConfigService does not read it again.
      expect(process.env['PATH']).toBeDefined()
      expect(reader.nest.get('PATH')).toBeUndefined()
    } finally {
      await app.close()
    }
  })
})
