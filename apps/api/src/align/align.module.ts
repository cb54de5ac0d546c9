import { access } from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common'
import { HttpModule, HttpService } from '@nestjs/axios'
import { AlignClient } from '@align-kyc/align-client'
import type { AlignEmulator } from '@align-kyc/align-client/testing'
import { APP_CONFIG } from '../config/config.module.js'
import { ConfigError, type AppConfig } from '../config/app-config.js'
import { PrismaService } from '../database/prisma.service.js'
import { EMULATOR_CHECK_SAMPLE, emulatorStateProblem } from './emulator-state.check.js'
import { EmulatorStateRepository } from './emulator-state.repository.js'
import { activeRegistration } from './webhook-registration.js'

/** Align as this process sees it: the client, and in local mode the in-process emulator behind it. */
@Injectable()
export class AlignGateway implements OnApplicationShutdown {
  private readonly logger = new Logger('Align')

  constructor(
    readonly client: AlignClient,
    /** HMAC keys that webhook signatures are checked against (rotation: several). */
    readonly webhookSecrets: string[],
    readonly emulator: AlignEmulator | null,
    /** The emulator's state file, and whether it existed when the emulator started. */
    readonly emulatorStateFile: { path: string; existed: boolean } | null = null,
  ) {}

  /**
   * Registers a webhook URL with Align unless an active registration has it already (Align has no
   * idempotency keys, so it lists first). Returns true when it created one.
   */
  async ensureWebhook(url: string): Promise<boolean> {
    const { items } = await this.client.webhooks.list()
    if (activeRegistration(items, url)) return false
    await this.client.webhooks.create({ url })
    this.logger.log(`registered webhook ${url}`)
    return true
  }

  async onApplicationShutdown(): Promise<void> {
    await this.emulator?.stop()
  }
}

/**
 * Local mode: refuses to start (exit 78, one line) when the emulator has lost customers or links
 * the database holds (see emulatorStateProblem). A bootstrap hook rather than part of the gateway's
 * factory, so that the refusal reaches main.ts as it is instead of through Nest's error dump.
 */
@Injectable()
export class EmulatorStateCheck implements OnApplicationBootstrap {
  constructor(
    private readonly gateway: AlignGateway,
    private readonly references: EmulatorStateRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { emulator, emulatorStateFile } = this.gateway
    if (!emulator || !emulatorStateFile) return
    const problem = emulatorStateProblem({
      database: this.config.database,
      stateFile: emulatorStateFile.path,
      fileExisted: emulatorStateFile.existed,
      references: await this.references.newestReferences(EMULATOR_CHECK_SAMPLE, new Date()),
      emulator: emulator.snapshot(),
    })
    if (problem) throw new ConfigError(problem)
  }
}

async function createGateway(config: AppConfig, http: HttpService): Promise<AlignGateway> {
  const logger = new Logger('Align')
  const { align } = config
  if (align.environment === 'local') {
    const { AlignEmulator } = await import('@align-kyc/align-client/testing')
    const stateFile = align.emulatorStateFile
    const emulator = new AlignEmulator({
      linkTtlMs: config.kycLink.ttlMs,
      ...(stateFile ? { stateFile } : {}),
      logger: { info: (m) => logger.debug(m), warn: (m) => logger.warn(m) },
    })
    const fileExisted = stateFile
      ? await access(stateFile).then(
          () => true,
          () => false,
        )
      : false
    const { url } = await emulator.start()
    logger.log(`local mode: built-in Align emulator at ${url} (no network)`)
    const client = new AlignClient({
      apiKey: emulator.apiKey,
      baseUrl: url,
      timeoutMs: align.timeoutMs,
      http: http.axiosRef,
    })
    const secrets = align.webhookSecrets.length ? align.webhookSecrets : [emulator.apiKey]
    return new AlignGateway(
      client,
      secrets,
      emulator,
      stateFile ? { path: stateFile, existed: fileExisted } : null,
    )
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
    EmulatorStateRepository,
    {
      provide: AlignGateway,
      // PrismaService only for the order: the emulator opens its state file (named after the embedded
      // database) once this process holds that database's lock (data-dir-lock.ts).
      inject: [APP_CONFIG, HttpService, PrismaService],
      useFactory: (config: AppConfig, http: HttpService) => createGateway(config, http),
    },
    EmulatorStateCheck,
  ],
  exports: [AlignGateway],
})
export class AlignModule {}
