import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { AlignEmulator, type AlignEmulatorOptions } from '@align-kyc/align-client/testing'
import { PrismaPg } from '@prisma/adapter-pg'
import { PrismaClient } from '../../src/generated/prisma/client.js'
import { SERVICE_NODE_FLAGS } from '../../src/node-flags.js'
import { createTestDatabase } from './databases.js'

export const TOKEN = 'test-token'
export const AUTH = { authorization: `Bearer ${TOKEN}` }
/** In OPERATOR_KEYS of every serviceEnv: the operator routes take it, and everything else too. */
export const OPERATOR_TOKEN = 'test-operator-token'
export const OPERATOR_AUTH = { authorization: `Bearer ${OPERATOR_TOKEN}` }

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/main.js')

/**
 * The built service (dist/main.js) as a child process, with the node flags `npm start` uses: e2e
 * tests drive it over real HTTP exactly as a consumer would. (In-process is not an option under jest:
 * @nestjs/throttler is CommonJS and requires ESM-only @nestjs/common, which Node 20 allows and jest's
 * module runtime does not.)
 */
export class ServiceProcess {
  /** Started by this test file and still running (killed after the file: leftovers.ts). */
  private static readonly live = new Set<ChildProcess>()
  readonly output: string[] = []
  url = ''
  private exited: Promise<number | null>

  private constructor(readonly child: ChildProcess) {
    ServiceProcess.live.add(child)
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        ServiceProcess.live.delete(child)
        resolve(code)
      }),
    )
  }

  /**
   * kill -9 of every service a test left running (one that failed or timed out before its stop):
   * otherwise it outlives the run, polling the database and taking CPU from every later test.
   */
  static killLeftovers(): number {
    const left = [...ServiceProcess.live]
    for (const child of left) child.kill('SIGKILL')
    ServiceProcess.live.clear()
    return left.length
  }

  /** `nodeFlags`: what to run node with instead of the flags `npm start` uses; `cwd`: where it runs. */
  static async start(
    env: Record<string, string>,
    options: { timeoutMs?: number; nodeFlags?: readonly string[]; cwd?: string } = {},
  ): Promise<ServiceProcess> {
    const child = spawn(process.execPath, [...(options.nodeFlags ?? SERVICE_NODE_FLAGS), MAIN], {
      cwd: options.cwd,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        PORT: '0',
        HOST: '127.0.0.1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const svc = new ServiceProcess(child)
    await svc.waitForListening(options.timeoutMs ?? 30_000)
    return svc
  }

  /** Everything the process printed (stdout and stderr), for assertions on logs. */
  get log(): string {
    return this.output.join('')
  }

  private waitForListening(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL') // not left running behind a failed test
        reject(new Error(`service did not start in ${timeoutMs} ms:\n${this.log}`))
      }, timeoutMs)
      const onData = (chunk: Buffer) => {
        this.output.push(chunk.toString())
        const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(this.log)
        if (m && !this.url) {
          this.url = m[1]!
          clearTimeout(timer)
          resolve()
        }
      }
      this.child.stdout!.on('data', onData)
      this.child.stderr!.on('data', onData)
      void this.exited.then((code) => {
        clearTimeout(timer)
        if (!this.url) reject(new Error(`service exited with ${code} before listening:\n${this.log}`))
      })
    })
  }

  /** SIGTERM and wait for a graceful exit; returns the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM')
    return this.exited
  }

  /** kill -9: no shutdown hooks, no flushing. */
  async kill9(): Promise<void> {
    this.child.kill('SIGKILL')
    await this.exited
  }
}

/** Runs the service with an environment and waits for it to exit (for start-up refusals). */
export function runToExit(
  env: Record<string, string>,
  timeoutMs = 30_000,
  cwd?: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, MAIN], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (c: Buffer) => (output += c.toString()))
    child.stderr.on('data', (c: Buffer) => (output += c.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`did not exit in ${timeoutMs} ms:\n${output}`))
    }, timeoutMs)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

/** Environment for a service pointed at `emulator` (sandbox) and a test database. */
export function serviceEnv(emulator: AlignEmulator, databaseUrl: string, env: Record<string, string> = {}) {
  return {
    DATABASE_URL: databaseUrl,
    MIGRATE_ON_START: 'false',
    ALIGN_ENVIRONMENT: 'sandbox',
    ALIGN_API_KEY: emulator.apiKey,
    ALIGN_BASE_URL: emulator.url,
    ALIGN_TIMEOUT_MS: '3000',
    API_KEYS: `${TOKEN},second-token`,
    OPERATOR_KEYS: OPERATOR_TOKEN,
    RATE_LIMIT_PER_MINUTE: '0',
    WEBHOOK_WORKER_INTERVAL: '200ms',
    ...env,
  }
}

/** A Prisma client on the test database, for arranging and asserting rows. */
export function testPrisma(databaseUrl: string) {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: 4 }) })
}

export type Stack = Awaited<ReturnType<typeof startStack>>

/** One emulator, one fresh database, one service process: the usual e2e fixture. */
export async function startStack(
  env: Record<string, string> = {},
  emulatorOptions: AlignEmulatorOptions = {},
) {
  const emulator = new AlignEmulator({ webhookRetry: { attempts: 3, baseDelayMs: 20 }, ...emulatorOptions })
  await emulator.start()
  const db = await createTestDatabase()
  const service = await ServiceProcess.start(serviceEnv(emulator, db.url, env))
  const prisma = testPrisma(db.url)
  return {
    emulator,
    db,
    service,
    prisma,
    url: service.url,
    async close() {
      await service.stop()
      await prisma.$disconnect()
      await emulator.stop()
      await db.drop()
    },
  }
}
