import http from 'node:http'
import https from 'node:https'
import { Global, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common'
import { HttpModule, HttpService } from '@nestjs/axios'
import { AlignClient } from '@align-kyc/align-client'
import type { AlignEmulator } from '@align-kyc/align-client/testing'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import { PrismaService } from '../database/prisma.service.js'

/** Align as this process sees it: the client, and in local mode the in-process emulator behind it. */
@Injectable()
export class AlignGateway implements OnApplicationShutdown {
  private readonly logger = new Logger('Align')

  constructor(
    readonly client: AlignClient,
    /** HMAC keys that webhook signatures are checked against (rotation: several). */
    readonly webhookSecrets: string[],
    readonly emulator: AlignEmulator | null,
  ) {}

  /**
   * Registers a webhook URL with Align unless it is registered already (Align has no idempotency
   * keys, so it lists first). Returns true when it created one.
   */
  async ensureWebhook(url: string): Promise<boolean> {
    const { items } = await this.client.webhooks.list()
    if (items.some((w) => w.url === url)) return false
    await this.client.webhooks.create({ url })
    this.logger.log(`registered webhook ${url}`)
    return true
  }

  async onApplicationShutdown(): Promise<void> {
    await this.emulator?.stop()
  }
}

async function createGateway(config: AppConfig, http: HttpService): Promise<AlignGateway> {
  const logger = new Logger('Align')
  const { align } = config
  if (align.environment === 'local') {
    const { AlignEmulator } = await import('@align-kyc/align-client/testing')
    const emulator = new AlignEmulator({
      linkTtlMs: config.kycLink.ttlMs,
      ...(align.emulatorStateFile ? { stateFile: align.emulatorStateFile } : {}),
      logger: { info: (m) => logger.debug(m), warn: (m) => logger.warn(m) },
    })
    const { url } = await emulator.start()
    logger.log(`local mode: built-in Align emulator at ${url} (no network)`)
    const client = new AlignClient({
      apiKey: emulator.apiKey,
      baseUrl: url,
      timeoutMs: align.timeoutMs,
      http: http.axiosRef,
    })
    const secrets = align.webhookSecrets.length ? align.webhookSecrets : [emulator.apiKey]
    return new AlignGateway(client, secrets, emulator)
  }
  const client = new AlignClient({
    apiKey: align.apiKey!,
    environment: align.environment,
    ...(align.baseUrl ? { baseUrl: align.baseUrl } : {}),
    timeoutMs: align.timeoutMs,
    http: http.axiosRef,
  })
  logger.log(`Align ${align.environment} at ${client.baseUrl}`)
  return new AlignGateway(client, align.webhookSecrets, null)
}

@Global()
@Module({
  imports: [
    // Keep-alive: every Align call otherwise pays a new TCP (and TLS) handshake. proxy: false: axios
    // otherwise consults the proxy environment variables on every request (measurable per call, and
    // the client must not read the environment); a deployment behind a proxy configures it here.
    HttpModule.register({
      httpAgent: new http.Agent({ keepAlive: true }),
      httpsAgent: new https.Agent({ keepAlive: true }),
      proxy: false,
    }),
  ],
  providers: [
    {
      provide: AlignGateway,
      // PrismaService only for the order: the emulator opens its state file (named after the embedded
      // database) once this process holds that database's lock (data-dir-lock.ts).
      inject: [APP_CONFIG, HttpService, PrismaService],
      useFactory: (config: AppConfig, http: HttpService) => createGateway(config, http),
    },
  ],
  exports: [AlignGateway],
})
export class AlignModule {}
