import { execFileSync, spawn } from 'node:child_process'
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import request from 'supertest'
import { urlFor } from './support/databases.js'
import { runToExit, ServiceProcess } from './support/test-app.js'

/** A refusal takes a few seconds; generous for a busy machine (a start that goes on serving never exits). */
const EXIT_TIMEOUT_MS = 60_000
const DEV_AUTH = { authorization: 'Bearer dev-token' }
const MIGRATE_CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/cli/migrate.js')

/** What a start-up refusal must look like: exit 78 (EX_CONFIG) and exactly one line of output. */
function expectOneLineRefusal(result: { code: number | null; output: string }): string {
  expect({ code: result.code, lines: result.output.trim().split('\n') }).toEqual({
    code: 78,
    lines: [expect.any(String)],
  })
  return result.output.trim()
}

/** The migration CLI, run to its exit. */
function runMigrate(env: Record<string, string>, args: string[]) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, [MIGRATE_CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (c: Buffer) => (output += c.toString()))
    child.stderr.on('data', (c: Buffer) => (output += c.toString()))
    child.once('exit', (code) => resolve({ code, output }))
  })
}

describe('start-up faults: one line, exit 78 (e2e)', () => {
  describe('the embedded database is held by one live process at a time', () => {
    let dir: string
    let dataDir: string
    const running: ServiceProcess[] = []
    const env = () => ({ DATABASE_URL: `pglite://${dataDir}`, HOST: '127.0.0.1', PORT: '0' })

    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'align-kyc-lock-'))
      dataDir = path.join(dir, 'pglite')
      running.push(await ServiceProcess.start(env(), { timeoutMs: 60_000 }))
    })
    afterAll(async () => {
      await Promise.all(running.map((s) => s.stop()))
      await rm(dir, { recursive: true, force: true })
    })

    it(
      'refuses a second process on the same data directory, naming it and the holder, and the first keeps serving',
      async () => {
        const first = running[0]!
        const refusal = expectOneLineRefusal(await runToExit(env(), EXIT_TIMEOUT_MS))
        expect(refusal).toContain(dataDir)
        expect(refusal).toContain(`pid ${first.child.pid}`)
        // The migration CLI opens the same database: it must respect the same lock.
        const migrate = await runMigrate(env(), ['status'])
        expect(migrate.code).toBe(78)
        expect(migrate.output.trim().split('\n').pop()).toMatch(
          new RegExp(`^migrate: .*${dataDir}.*\\(pid ${first.child.pid}\\)`),
        )

        await request(first.url).get('/health/ready').expect(200)
        await request(first.url)
          .post('/v1/customers')
          .set(DEV_AUTH)
          .send({ email: 'kept@example.com', type: 'corporate', companyName: 'Kept' })
          .expect(201)
      },
      2 * EXIT_TIMEOUT_MS,
    )

    it(
      'starts again at once after the holder was killed with kill -9 (a stale lock does not block)',
      async () => {
        await running.shift()!.kill9()
        // Right away: a lock judged stale by age (proper-lockfile's mtime window) would refuse this
        // start (exit 78 before listening, which makes start() reject).
        const again = await ServiceProcess.start(env(), { timeoutMs: 60_000 })
        running.push(again)
        const list = await request(again.url)
          .get('/v1/customers')
          .query({ email: 'kept@example.com' })
          .set(DEV_AUTH)
          .expect(200)
        expect(list.body.items).toHaveLength(1)
        // ...and it holds the lock now.
        const refusal = expectOneLineRefusal(await runToExit(env(), EXIT_TIMEOUT_MS))
        expect(refusal).toContain(`pid ${again.child.pid}`)
      },
      2 * EXIT_TIMEOUT_MS,
    )

    it('releases the lock on a graceful exit (the service and the migration CLI)', async () => {
      const entries = () => readdir(path.join(dataDir, 'align-kyc.lock'))
      expect(await entries()).toHaveLength(1)
      expect(await running.shift()!.stop()).toBe(0)
      expect(await entries()).toEqual([])
      expect(await runMigrate(env(), ['status'])).toMatchObject({ code: 0 })
      expect(await entries()).toEqual([])
    })
  })

  describe('an embedded database where nothing can be written', () => {
    let dir: string
    let readOnly: string

    // A read-only tmpfs mount: we run as root, which chmod does not stop; a read-only file system
    // (EROFS) stops root too, and is what a read-only volume in a container looks like.
    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'align-kyc-ro-'))
      readOnly = path.join(dir, 'ro')
      await mkdir(readOnly)
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', readOnly])
      await writeFile(path.join(dir, 'a-file'), 'not a directory')
    })
    afterAll(async () => {
      execFileSync('umount', [readOnly])
      await rm(dir, { recursive: true, force: true })
    })

    it.each([
      ['a read-only data directory', () => readOnly, /read-only/],
      ['a data directory to create on a read-only file system', () => path.join(readOnly, 'db'), /read-only/],
      ['a data directory under a regular file', () => path.join(dir, 'a-file', 'db'), /not a directory/],
    ])('%s: one line naming the directory and the cause', async (_, target, cause) => {
      const refusal = expectOneLineRefusal(
        await runToExit(
          { DATABASE_URL: `pglite://${target()}`, HOST: '127.0.0.1', PORT: '0' },
          EXIT_TIMEOUT_MS,
        ),
      )
      expect(refusal).toContain(target())
      expect(refusal).toMatch(cause)
    })
  })

  describe('a PostgreSQL server that cannot be used', () => {
    const missing = `align_kyc_e2e_missing_${process.pid}`

    it.each(
      [
        [
          'unreachable (nothing listens on the port)',
          'postgresql://postgres@127.0.0.1:1/x',
          /127\.0\.0\.1:1\b/,
        ],
        ['without the database named in DATABASE_URL', urlFor(missing), new RegExp(`"${missing}"`)],
      ].flatMap(([what, url, names]) =>
        ['true', 'false'].map((migrate) => [what, migrate, url, names] as const),
      ),
    )('%s, MIGRATE_ON_START=%s: one line naming it', async (_, migrate, url, names) => {
      const result = await runToExit(
        { DATABASE_URL: url as string, MIGRATE_ON_START: migrate, HOST: '127.0.0.1', PORT: '0' },
        EXIT_TIMEOUT_MS,
      )
      expect(expectOneLineRefusal(result)).toMatch(names as RegExp)
    })
  })
})
