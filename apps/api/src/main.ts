import 'reflect-metadata'
import { Logger } from '@nestjs/common'
import { createApp } from './app.factory.js'
import { ConfigError, loadConfig } from './config/app-config.js'
import { onListening } from './lifecycle.js'

async function main(): Promise<void> {
  let config
  try {
    config = loadConfig(process.env)
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`)
      process.exit(78) // EX_CONFIG
    }
    throw e
  }
  const started = Date.now()
  const app = await createApp(config)
  await app.listen({ port: config.port, host: config.host })
  await onListening(app, config)
  const address = app.getHttpServer().address()
  const port = typeof address === 'object' && address ? address.port : config.port
  Logger.log(`listening on http://${config.host}:${port} (ready in ${Date.now() - started} ms)`, 'Bootstrap')
}

main().catch((e: unknown) => {
  process.stderr.write(`start-up failed: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
