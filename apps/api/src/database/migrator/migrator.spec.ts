import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { findPrismaDir, Migrator } from './migrator.js'

/** The drift check CI runs: schema.prisma and the migrations must agree. */
describe('Migrator (offline, on PGlite)', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'align-kyc-prisma-'))
    await cp(findPrismaDir(), path.join(dir, 'prisma'), { recursive: true })
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('finds no drift in the repository as committed', async () => {
    expect(await new Migrator(path.join(dir, 'prisma')).drift()).toBeNull()
  })

  it('reports drift when schema.prisma changes without a migration, and none once one is created', async () => {
    const schema = path.join(dir, 'prisma', 'schema.prisma')
    const text = await readFile(schema, 'utf8')
    await writeFile(
      schema,
      text.replace('  companyName      String?', '  nickname         String?\n  companyName      String?'),
    )
    const migrator = new Migrator(path.join(dir, 'prisma'))
    const drift = await migrator.drift()
    expect(drift).toMatch(/ALTER TABLE "customers" ADD COLUMN +"nickname" TEXT/)
    const created = await migrator.create('add_nickname')
    expect(created).toMatch(/^\d{14}_add_nickname$/)
    expect(await migrator.drift()).toBeNull()
    // Three schema-engine diffs on in-memory PGlite: ~15 s on a quiet 2-core machine, 50-90 s on a busy one.
  }, 240_000)

  it('applies every migration to an empty database once, then reports nothing to apply', async () => {
    const db = new PGlite()
    try {
      const migrator = new Migrator(path.join(dir, 'prisma'))
      const first = await migrator.deploy({ kind: 'pglite', db })
      expect(first.length).toBeGreaterThan(0)
      expect(await migrator.deploy({ kind: 'pglite', db })).toEqual([])
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM _prisma_migrations')
      expect(rows[0]!.n).toBe(first.length)
    } finally {
      await db.close()
    }
  })
})
