import { Logger } from '@nestjs/common'
import type { NestFastifyApplication } from '@nestjs/platform-fastify'
import { AlignGateway } from './align/align.module.js'
import type { AppConfig } from './config/app-config.js'

/**
 * Once the port is known: in local mode, point the built-in emulator's webhooks at this service;
 * elsewhere, register ALIGN_WEBHOOK_URL if it is set (idempotent: lists first).
 */
export async function onListening(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const gateway = app.get(AlignGateway)
  const address = app.getHttpServer().address()
  const port = typeof address === 'object' && address ? address.port : config.port
  const url =
    config.align.webhookUrl ?? (gateway.emulator ? `http://127.0.0.1:${port}/v1/webhooks/align` : null)
  if (!url) return
  try {
    await gateway.ensureWebhook(url)
  } catch (e) {
    new Logger('Bootstrap').warn(
      `could not register webhook ${url}: ${e instanceof Error ? e.message : String(e)}`,
    )
  }
}
