import 'reflect-metadata'
import { inspect } from 'node:util'
import { Logger } from '@nestjs/common'
import { createApp } from './app.factory.js'
import { StartupError } from './common/startup-error.js'
import { ConfigError, loadConfig } from './config/app-config.js'
import { loadEnvFile } from './config/env-file.js'
import { onListening } from './lifecycle.js'

async function main(): Promise<void> {
  let config
  try {
    loadEnvFile()
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
  await app.listen({ port: config.port, host: config.host }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EADDRINUSE' && e.code !== 'EACCES') throw e
    throw new StartupError(
      `Cannot listen on ${config.host}:${config.port} (${e.code === 'EADDRINUSE' ? 'address already in use' : 'permission denied'}): set PORT (or HOST) to one this process may use`,
    )
  })
  await onListening(app, config)
  const address = app.getHttpServer().address()
  const port = typeof address === 'object' && address ? address.port : config.port
  shutDownOnSignals(app)
  Logger.log(`listening on http://${config.host}:${port} (ready in ${Date.now() - started} ms)`, 'Bootstrap')
}

/** Longest a graceful shutdown may take before the process gives up and exits non-zero. */
const SHUTDOWN_DEADLINE_MS = 30_000

/**
 * SIGTERM/SIGINT: stop accepting, finish the requests in flight, stop workers, close the database,
 * then exit 0 (Nest's own shutdown hooks would re-raise the signal instead of exiting cleanly).
 */
function shutDownOnSignals(app: Awaited<ReturnType<typeof createApp>>): void {
  const onSignal = (signal: NodeJS.Signals) => {
    Logger.log(`${signal} received: shutting down`, 'Bootstrap')
    setTimeout(() => {
      process.stderr.write(`shutdown did not finish in ${SHUTDOWN_DEADLINE_MS} ms\n`)
      process.exit(1)
    }, SHUTDOWN_DEADLINE_MS).unref()
    app.close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`shutdown failed: ${e instanceof Error ? e.message : String(e)}\n`)
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', onSignal)
  process.once('SIGINT', onSignal)
}

main().catch((e: unknown) => {
  // The environment's faults (database unreachable or missing, data directory read-only or held by
  // another process, the emulator's state lost): one line and EX_CONFIG. Anything else is a bug: its
  // stack, and exit 1.
  if (e instanceof StartupError || e instanceof ConfigError) {
    process.stderr.write(`${e.message.replace(/\s*\n\s*/g, ' ')}\n`)
    process.exit(78)
  }
  process.stderr.write(`start-up failed: ${e instanceof Error ? (e.stack ?? e.message) : inspect(e)}\n`)
  process.exit(1)
})
