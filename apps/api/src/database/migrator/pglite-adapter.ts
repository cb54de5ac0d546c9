import { PGlite } from '@electric-sql/pglite'
import { PrismaPGlite } from 'pglite-prisma-adapter'
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils'

/*
 * Driver-adapter factory for Prisma's wasm schema engine against embedded PGlite.
 * pglite-prisma-adapter 0.7.2 does not await executeScript(), and the engine sends whole
 * multi-statement migration files through executeRaw() with no arguments, which PGlite's extended
 * protocol rejects; both are routed through PGlite.exec() (simple protocol).
 */

type Adapter = {
  executeScript(script: string): Promise<void>
  executeRaw(query: { sql: string; args: unknown[] }): Promise<number>
}

function fix<T>(adapter: T, client: PGlite): T {
  const a = adapter as unknown as Adapter
  const executeRaw = a.executeRaw.bind(a)
  a.executeScript = async (script) => {
    await client.exec(script)
  }
  a.executeRaw = async (q) => {
    if (q.args?.length) return executeRaw(q)
    const results = await client.exec(q.sql)
    return results.reduce((n, r) => n + (r.affectedRows ?? 0), 0)
  }
  return adapter
}

export function pgliteMigrationAdapter(db: PGlite): SqlMigrationAwareDriverAdapterFactory {
  const factory = new PrismaPGlite(db)
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => fix(await factory.connect(), db),
    async connectToShadowDb() {
      const shadow = new PGlite()
      const adapter = fix(await new PrismaPGlite(shadow).connect(), shadow)
      const dispose = adapter.dispose.bind(adapter)
      adapter.dispose = async () => {
        await dispose().catch(() => undefined)
        await shadow.close().catch(() => undefined)
      }
      return adapter
    },
  } as SqlMigrationAwareDriverAdapterFactory
}
