import { AlignEmulator } from '@align-kyc/align-client/testing'
import { createTestDatabase } from './databases.js'
import { ServiceProcess, serviceEnv, testPrisma } from './test-app.js'

// Apart from test-app.ts because it uses jest's hooks, and the bench imports test-app.ts.
/**
 * Per test: a fresh emulator, database and Prisma client (read them as `f.emulator`, `f.db`,
 * `f.prisma`: they are new in every test), and `f.start(env)` to run a service on them
 * (RECONCILE_INTERVAL=0 unless given); everything is stopped and dropped after each test.
 */
export function eachTestFixture() {
  const f = {
    emulator: undefined as unknown as AlignEmulator,
    db: undefined as unknown as Awaited<ReturnType<typeof createTestDatabase>>,
    prisma: undefined as unknown as ReturnType<typeof testPrisma>,
    services: [] as ServiceProcess[],
    async start(env: Record<string, string> = {}): Promise<ServiceProcess> {
      const s = await ServiceProcess.start(
        serviceEnv(f.emulator, f.db.url, { RECONCILE_INTERVAL: '0', ...env }),
      )
      f.services.push(s)
      return s
    },
  }
  beforeEach(async () => {
    f.emulator = new AlignEmulator()
    await f.emulator.start()
    f.db = await createTestDatabase()
    f.prisma = testPrisma(f.db.url)
  })
  afterEach(async () => {
    for (const s of f.services.splice(0)) await s.stop()
    await f.prisma.$disconnect()
    await f.emulator.stop()
    await f.db.drop()
  })
  return f
}
