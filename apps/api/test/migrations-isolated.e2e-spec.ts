import { spawn } from 'node:child_process'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { admin, urlFor } from './support/databases.js'
import { findPrismaDir } from '../src/database/migrator/migrator.js'

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/database/migrator')

/**
 * Runs, in a fresh node process, what start-up runs (`deployIsolated`, database.module.ts) or the
 * in-thread `Migrator.deploy`, on `url`; reports what was applied and whether the process's main
 * thread loaded Prisma's wasm schema engine (which, once loaded, stays resident).
 */
function migrateIn(
  how: 'isolated' | 'in-thread' | 'pglite',
  url: string,
): Promise<{ applied: string[]; engineLoaded: boolean }> {
  const script = `
    const { deployIsolated, openPgliteMigrated } = await import(${JSON.stringify(path.join(DIST, 'isolated.js'))})
    const { Migrator, schemaEngineLoaded } = await import(${JSON.stringify(path.join(DIST, 'migrator.js'))})
    const url = ${JSON.stringify(url)}
    const how = ${JSON.stringify(how)}
    let applied
    if (how === 'pglite') {
      const opened = await openPgliteMigrated(url)
      applied = opened.applied
      await opened.db.close()
    } else applied = how === 'isolated' ? await deployIsolated(url) : await new Migrator().deploy({ kind: 'postgres', url })
    process.stdout.write(JSON.stringify({ applied, engineLoaded: schemaEngineLoaded() }))`
  return (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'align-kyc-migrate-'))
    const file = path.join(dir, 'migrate.mjs')
    await writeFile(file, script)
    try {
      return await new Promise<{ applied: string[]; engineLoaded: boolean }>((resolve, reject) => {
        const child = spawn(process.execPath, [file], { env: { PATH: process.env.PATH ?? '' } })
        let out = ''
        let err = ''
        child.stdout.on('data', (c: Buffer) => (out += c.toString()))
        child.stderr.on('data', (c: Buffer) => (err += c.toString()))
        child.once('exit', (code) =>
          code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}: ${err}`)),
        )
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })()
}

const migrationNames = async () =>
  (await readdir(path.join(findPrismaDir(), 'migrations'), { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()

describe('start-up migrations (e2e)', () => {
  const names: string[] = []
  const emptyDatabase = async () => {
    const name = `align_kyc_e2e_${process.env.E2E_RUN_ID ?? 'local'}_${process.pid}_mig${names.length}`
    await admin((c) => c.query(`CREATE DATABASE "${name}"`))
    names.push(name)
    return urlFor(name)
  }
  afterAll(async () => {
    for (const name of names) await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
  })

  it('applies migrations in a worker thread, so the schema engine never loads in the main thread', async () => {
    const migrations = await migrationNames()
    const url = await emptyDatabase()
    expect(await migrateIn('isolated', url)).toEqual({ applied: migrations, engineLoaded: false })
    // Up to date: nothing applied, no worker needed.
    expect(await migrateIn('isolated', url)).toEqual({ applied: [], engineLoaded: false })
    // The probe itself: the in-thread deploy does load it.
    expect(await migrateIn('in-thread', await emptyDatabase())).toEqual({
      applied: migrations,
      engineLoaded: true,
    })
  })

  it('creates and migrates an embedded database folder in a worker thread, then only opens it', async () => {
    const migrations = await migrationNames()
    const dir = await mkdtemp(path.join(os.tmpdir(), 'align-kyc-pglite-'))
    try {
      const data = path.join(dir, 'pglite')
      expect(await migrateIn('pglite', data)).toEqual({ applied: migrations, engineLoaded: false })
      expect(await migrateIn('pglite', data)).toEqual({ applied: [], engineLoaded: false })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 180_000) // a fresh PGlite's initdb alone took 20 s on this loaded machine
})
