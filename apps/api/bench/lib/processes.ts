import { appendFileSync, mkdirSync } from 'node:fs'
import { fork, spawn, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { SERVICE_NODE_FLAGS } from '../../src/node-flags.js'
import { admin as adminOn } from '../../test/support/databases.js'
import { onCleanup } from './cleanup.js'

const here = path.dirname(fileURLToPath(import.meta.url))
export const API_DIR = path.resolve(here, '../..')
export const REPO_ROOT = path.resolve(API_DIR, '../..')
const MAIN = path.join(API_DIR, 'dist/main.js')

/** Server to create the bench database on (any database on it): BENCH_DATABASE_URL, else TEST_DATABASE_URL. */
export const ADMIN_URL =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgresql://postgres@127.0.0.1:5432/postgres'

const admin = <T>(fn: (c: pg.Client) => Promise<T>) => adminOn(fn, ADMIN_URL)

/** An empty database (the service migrates it on start); dropped at cleanup. */
export async function createBenchDatabase(): Promise<{ name: string; url: string }> {
  const name = `align_kyc_bench_${process.pid}_${Date.now().toString(36)}`
  await admin((c) => c.query(`CREATE DATABASE "${name}"`))
  onCleanup(`drop database ${name}`, () =>
    admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)),
  )
  return { name, url: databaseUrl(name) }
}

/** A connected client; a lost connection fails its queries, never the bench process. */
export async function connectClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url })
  client.on('error', (e) => process.stderr.write(`bench: database connection lost: ${e.message}\n`))
  await client.connect()
  return client
}

/** The URL of database `name` on the bench's server. */
export function databaseUrl(name: string): string {
  const u = new URL(ADMIN_URL)
  u.pathname = `/${name}`
  return u.toString()
}

/** Drops a bench database now (its cleanup step then finds nothing to do). */
export async function dropBenchDatabase(name: string): Promise<void> {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
  })
}

/** A child process serving HTTP on a known port, ready once `readyPath` answers 200. */
export class ChildServer {
  readonly output: string[] = []
  private readonly exited: Promise<number | null>

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly url: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)))
    const logDir = process.env.BENCH_CHILD_LOG_DIR
    if (logDir) mkdirSync(logDir, { recursive: true })
    const keep = (c: Buffer) => {
      if (logDir) appendFileSync(path.join(logDir, `${name.replace(/\W+/g, '-')}.log`), c)
      this.output.push(c.toString())
      if (this.output.length > 200) this.output.shift()
    }
    child.stdout!.on('data', keep)
    child.stderr!.on('data', keep)
  }

  get pid(): number {
    return this.child.pid!
  }

  static async start(
    name: string,
    args: string[],
    env: Record<string, string>,
    readyPath: string,
    timeoutMs = 60_000,
  ): Promise<ChildServer> {
    const port = await freePort()
    const child = spawn(process.execPath, args, {
      cwd: API_DIR,
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const server = new ChildServer(name, child, `http://127.0.0.1:${port}`)
    onCleanup(`stop ${name} (pid ${child.pid})`, () => server.stop())
    await server.waitReady(readyPath, timeoutMs)
    return server
  }

  private async waitReady(readyPath: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    let exited: { code: number | null } | null = null
    void this.exited.then((code) => (exited = { code }))
    while (Date.now() < deadline) {
      if (exited) {
        const { code } = exited
        throw new Error(
          `${this.name} exited (code ${code}, signal ${this.child.signalCode}) before it was ready:\n${this.output.join('')}`,
        )
      }
      try {
        const res = await fetch(this.url + readyPath, { signal: AbortSignal.timeout(2_000) })
        await res.arrayBuffer()
        if (res.status === 200) return
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`${this.name} not ready after ${timeoutMs} ms:\n${this.output.join('')}`)
  }

  /** SIGTERM, then SIGKILL if it has not exited within 10 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000)
    await this.exited
    clearTimeout(timer)
  }
}

/** Node flags from an environment variable (BENCH_SERVICE_NODE_ARGS, BENCH_BARE_NODE_ARGS): space-separated. */
export function nodeArgsFromEnv(name: string): string[] {
  return (process.env[name] ?? '').split(/\s+/).filter(Boolean)
}

/**
 * The V8 flags the service runs with: those `npm start` uses (src/node-flags.ts), unless
 * BENCH_SERVICE_NODE_FLAGS says otherwise (`none`: no flags; else a space-separated list instead of
 * them), then BENCH_SERVICE_NODE_ARGS (added after, e.g. a profiler).
 */
export function serviceNodeFlags(): string[] {
  const replaced = process.env.BENCH_SERVICE_NODE_FLAGS
  const base =
    replaced === undefined || replaced.trim() === ''
      ? [...SERVICE_NODE_FLAGS]
      : replaced.trim() === 'none'
        ? []
        : nodeArgsFromEnv('BENCH_SERVICE_NODE_FLAGS')
  return [...base, ...nodeArgsFromEnv('BENCH_SERVICE_NODE_ARGS')]
}

/** The BUILT service (dist/main.js), as in production, with serviceNodeFlags(). */
export function startService(env: Record<string, string>, name = 'service'): Promise<ChildServer> {
  return ChildServer.start(name, [...serviceNodeFlags(), MAIN], env, '/health/ready')
}

/** Applies the migrations to `databaseUrl` with the service's own CLI (dist/cli/migrate.js). */
export function migrate(databaseUrl: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(API_DIR, 'dist/cli/migrate.js'), 'deploy'], {
      cwd: API_DIR,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()))
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()))
    child.once('error', reject)
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`migrate exited with ${code}:\n${output}`)),
    )
  })
}

/**
 * The bare node:http + pg baseline (bench/bare-server.ts, through tsx). BENCH_BARE_NODE_ARGS adds node
 * flags, e.g. `--trace-gc` to compare its garbage with the service's.
 */
export function startBareServer(env: Record<string, string>): Promise<ChildServer> {
  return ChildServer.start(
    'bare server',
    [...nodeArgsFromEnv('BENCH_BARE_NODE_ARGS'), '--import', 'tsx', path.join(here, '../bare-server.ts')],
    env,
    '/health',
  )
}

/**
 * A bench script (through tsx) in its own process, driven over IPC: `send` gives each command an
 * `id` and resolves with the child's message carrying the same id; `ready` is the child's first
 * message (`{ ready: true, ... }`). The child exits when the IPC channel closes (stop(), or the
 * bench's cleanup).
 */
export type IpcChild<Ready> = {
  ready: Ready
  send<T>(command: object): Promise<T>
  stop(): void
}

export async function startIpcChild<Ready extends { ready: true }>(
  name: string,
  script: string,
  env: Record<string, string>,
): Promise<IpcChild<Ready>> {
  const child = fork(path.join(here, '..', script), [], {
    cwd: API_DIR,
    execArgv: ['--import', 'tsx'],
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const stop = () => {
    if (child.connected) child.disconnect()
  }
  onCleanup(`stop ${name} (pid ${child.pid})`, stop)
  const waiting = new Map<number, (a: unknown) => void>()
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`${name} exited (code ${code}) before it was ready`)))
    child.on('message', (m: { id: number } | Ready) => {
      if ('ready' in m) return resolve(m)
      waiting.get(m.id)?.(m)
      waiting.delete(m.id)
    })
  })
  let next = 0
  return {
    ready,
    stop,
    send: <T>(command: object) =>
      new Promise<T>((resolve) => {
        const id = next++
        waiting.set(id, resolve as (a: unknown) => void)
        child.send({ ...command, id })
      }),
  }
}

/** A running bench/prober.ts: `time()` is one direct round trip, measured inside the prober. */
export type Prober = {
  time(method: string, path: string, body?: unknown): Promise<{ ms: number; status: number; body: string }>
  stop(): void
}

/** Starts bench/prober.ts against the emulator at `alignUrl`. */
export async function startProber(alignUrl: string, apiKey: string): Promise<Prober> {
  const child = await startIpcChild<{ ready: true }>('prober', 'prober.ts', {
    ALIGN_URL: alignUrl,
    ALIGN_API_KEY: apiKey,
  })
  type Answer = { ms: number; status: number; body: string }
  return {
    stop: child.stop,
    async time(method, p, body) {
      const a = await child.send<Answer>({ method, path: p, body })
      if (a.ms < 0) throw new Error(`prober ${method} ${p}: ${a.body}`)
      return a
    },
  }
}
