import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { runToExit, ServiceProcess } from './support/test-app.js'

// The built service reads `.env` from its working directory before it validates its configuration,
// and the real environment wins over the file. A bad value in the file is what makes its loading
// visible from outside: the refusal (exit 78, one line) names the variable the file set.
describe('.env in the working directory (e2e)', () => {
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'align-kyc-env-'))
    await writeFile(path.join(dir, '.env'), '# a developer file\nPORT=from-dot-env\nLOG_LEVEL=info\n')
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('is read: a value only the file sets stops start-up, naming the variable', async () => {
    const { code, output } = await runToExit({ DATABASE_URL: 'pglite://memory' }, 30_000, dir)
    expect(code).toBe(78)
    expect(output.trim()).toBe(
      'Invalid configuration: PORT: expected an integer from 0 to 65535, got "from-dot-env"',
    )
  })

  it('never overrides the real environment', async () => {
    // ServiceProcess sets PORT=0 itself: that wins over the file's bad PORT, so the service starts
    // (an embedded database in memory, migrated at start-up: slow on a busy machine).
    const service = await ServiceProcess.start(
      { DATABASE_URL: 'pglite://memory' },
      { cwd: dir, timeoutMs: 100_000 },
    )
    try {
      expect(service.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const health = await fetch(`${service.url}/health/live`)
      expect(health.status).toBe(200)
    } finally {
      expect(await service.stop()).toBe(0)
    }
  }, 120_000)

  it('is read by the migrate command too, so it migrates the database the service would use', async () => {
    const other = await mkdtemp(path.join(os.tmpdir(), 'align-kyc-env-cli-'))
    try {
      const dataDir = path.join(other, 'data')
      await writeFile(path.join(other, '.env'), `DATABASE_URL=pglite://${dataDir}\n`)
      const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/cli/migrate.js')
      const env = { ...process.env }
      delete env.DATABASE_URL
      const { stdout } = await promisify(execFile)(process.execPath, [cli, 'deploy'], { cwd: other, env })
      expect(stdout).toContain(`Applying migrations to embedded PGlite at ${dataDir}`)
      expect(stdout).toMatch(/Applied: \d{14}_/)
      // And the real environment still wins over the file.
      const memory = await promisify(execFile)(process.execPath, [cli, 'status'], {
        cwd: other,
        env: { ...env, DATABASE_URL: 'pglite://memory' },
      })
      expect(memory.stdout).toContain('Migration status of in-memory PGlite')
    } finally {
      await rm(other, { recursive: true, force: true })
    }
  }, 120_000)
})
