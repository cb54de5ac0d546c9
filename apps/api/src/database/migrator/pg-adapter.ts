import pg from 'pg'
import { PrismaPg } from '@prisma/adapter-pg'
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils'
import { createPgPool, guardClient } from '../pg-connections.js'

/*
 * Driver-adapter factory for Prisma's wasm schema engine against a real PostgreSQL server.
 * Works around two gaps of @prisma/adapter-pg 7.10 that the schema engine hits (see
 * shared/recipes/prisma-offline): result columns of type "char" (OID 18) are unsupported, so they
 * are reported as text (25); and its own shadow-database handling drops the database while its pool
 * still uses it, so this wrapper creates and drops its own shadow database. And its executeScript()
 * splits a migration on every ";", which breaks a dollar-quoted function body; scripts are sent whole
 * instead (one simple-protocol query, which PostgreSQL runs as one implicit transaction), as Prisma's
 * native engine does.
 */

const CHAR_OID = 18
const TEXT_OID = 25

type QueryResultLike = { fields?: { dataTypeID: number }[] }

function rewriteCharColumns<T>(result: T): T {
  for (const r of (Array.isArray(result) ? result : [result]) as QueryResultLike[]) {
    r?.fields?.forEach((f) => {
      if (f.dataTypeID === CHAR_OID) f.dataTypeID = TEXT_OID
    })
  }
  return result
}

function patchedPool(config: pg.PoolConfig): pg.Pool {
  const pool = createPgPool({ ...config, max: 2 })
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown
    ;(client as { query: unknown }).query = (...args: unknown[]) => {
      const last = args[args.length - 1]
      if (typeof last === 'function') {
        args[args.length - 1] = (err: unknown, res: unknown) => last(err, err ? res : rewriteCharColumns(res))
        return query(...args)
      }
      const p = query(...args) as Promise<unknown> | undefined
      return p && typeof p.then === 'function' ? p.then(rewriteCharColumns) : p
    }
  })
  return pool
}

type ScriptAdapter = {
  executeScript(script: string): Promise<void>
  underlyingDriver(): { query(text: string): Promise<unknown> }
  onError?(error: unknown): never
}

function wholeScripts<T>(adapter: T): T {
  const a = adapter as unknown as ScriptAdapter
  a.executeScript = async (script) => {
    try {
      await a.underlyingDriver().query(script)
    } catch (error) {
      // The adapter's own translation into the error shape the engine reports.
      if (typeof a.onError === 'function') a.onError(error)
      throw error
    }
  }
  return adapter
}

export function pgConnectionConfig(databaseUrl: string): pg.PoolConfig {
  return { connectionString: databaseUrl }
}

/** A migration adapter factory plus `close()`, which ends its connection pool. */
export type ClosableMigrationAdapter = SqlMigrationAwareDriverAdapterFactory & { close(): Promise<void> }

export function pgMigrationAdapter(databaseUrl: string): ClosableMigrationAdapter {
  const config = pgConnectionConfig(databaseUrl)
  const pool = patchedPool(config)
  const main = new PrismaPg(pool)
  return {
    close: () => pool.end(),
    provider: main.provider,
    adapterName: main.adapterName,
    connect: async () => wholeScripts(await main.connect()),
    async connectToShadowDb() {
      const admin = new pg.Client(config)
      guardClient(admin)
      await admin.connect()
      const name = `prisma_shadow_${process.pid}_${Date.now()}`
      await admin.query(`CREATE DATABASE "${name}"`)
      const url = new URL(databaseUrl)
      url.pathname = `/${name}`
      const pool = patchedPool({ connectionString: url.toString() })
      const adapter = wholeScripts(await new PrismaPg(pool).connect())
      const dispose = adapter.dispose.bind(adapter)
      adapter.dispose = async () => {
        await dispose().catch(() => undefined)
        await pool.end().catch(() => undefined)
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
        await admin.end()
      }
      return adapter
    },
  }
}
