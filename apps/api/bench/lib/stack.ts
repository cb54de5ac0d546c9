import { AlignEmulator, type AlignEmulatorOptions } from '@align-kyc/align-client/testing'
import { serviceEnv, TOKEN } from '../../test/support/test-app.js'
import { HttpClient } from './http.js'
import { createBenchDatabase, dropBenchDatabase, startService, type ChildServer } from './processes.js'
import type { BenchContext } from './types.js'

/** An Align emulator, a fresh database and one or more service instances on it. */
export type Stack = {
  emulator: AlignEmulator
  databaseUrl: string
  /** The first instance, and every instance (all on the one database). */
  service: ChildServer
  services: ChildServer[]
  /** Keep-alive client for the first instance, Authorization set. */
  api: HttpClient
  token: string
  stop(): Promise<void>
}

/**
 * Starts a stack for one section: the emulator (no latency until the section sets it, so customers
 * are created fast), an empty database that the first instance migrates on start
 * (MIGRATE_ON_START=true in the bench's settings), then `instances` service processes. stop() ends
 * them all and drops the database (the run's cleanup does it too if the section throws).
 */
export async function startStack(
  ctx: BenchContext,
  label: string,
  options: { instances?: number; emulator?: AlignEmulatorOptions; settings?: Record<string, string> } = {},
): Promise<Stack> {
  const emulator = new AlignEmulator(options.emulator)
  await emulator.start()
  const db = await createBenchDatabase()
  const env = serviceEnv(emulator, db.url, { ...ctx.serviceSettings, ...options.settings })
  const services: ChildServer[] = []
  for (let i = 0; i < (options.instances ?? 1); i++)
    services.push(await startService(env, i === 0 ? `service-${label}` : `service-${label}-${i + 1}`))
  const api = new HttpClient(services[0]!.url, { authorization: `Bearer ${TOKEN}` }, 8)
  ctx.progress(
    `${label}: database ${db.name}, service pid ${services.map((s) => s.pid).join(', ')} at ${services.map((s) => s.url).join(', ')}`,
  )
  return {
    emulator,
    databaseUrl: db.url,
    service: services[0]!,
    services,
    api,
    token: TOKEN,
    async stop() {
      api.close()
      await Promise.all(services.map((s) => s.stop()))
      await emulator.stop()
      await dropBenchDatabase(db.name)
    },
  }
}
