// A CommonJS app (what `nest new` creates) and ESM apps, each with its own module resolution, import
// @align-kyc/domain, @align-kyc/align-client and its ./testing subpath, and @align-kyc/api-client
// from the built packages, are
// type-checked and compiled by tsc, and run by node. Each app is written under .out/ inside this
// workspace, so node and tsc find the packages the way an app of this monorepo does (node_modules
// links), not through relative paths.
import { execFile } from 'node:child_process'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const here = path.dirname(fileURLToPath(import.meta.url))
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')

/**
 * The app: every entry point, a type from each, a round trip through the emulator, and two calls of
 * the REST client to a stand-in for the service (a customer for the right token, a problem otherwise).
 */
const APP = `
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { canTransition, type KycStatus } from '@align-kyc/domain'
import { AlignKycProblemError, createAlignKycClient, unwrap, type Customer } from '@align-kyc/api-client'
import {
  AlignClient,
  AlignNotFoundError,
  isAlignKycRefusal,
  isUsDepositInstructions,
  type AlignCustomer,
  type AlignVirtualAccount,
} from '@align-kyc/align-client'
import { AlignEmulator } from '@align-kyc/align-client/testing'

/** GET /v1/customers/{id} as the service answers it: the customer, or 404 problem details. */
async function callService(): Promise<{ email: string; problem: string }> {
  const server = createServer((req, res) => {
    if (req.headers.authorization === 'Bearer key-1' && req.url === '/v1/customers/c1') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ id: 'c1', email: 'rest@example.com' }))
      return
    }
    res.writeHead(404, { 'content-type': 'application/problem+json' })
    const problem = { type: 'urn:align-kyc:problem:customer_not_found', title: 'Not Found', status: 404 }
    res.end(JSON.stringify({ ...problem, detail: 'No such customer', code: 'customer_not_found' }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const baseUrl = 'http://127.0.0.1:' + (server.address() as AddressInfo).port
    const client = createAlignKycClient({ baseUrl, token: 'key-1' })
    const customer: Customer = await unwrap(client.GET('/v1/customers/{id}', { params: { path: { id: 'c1' } } }))
    const problem = await unwrap(client.GET('/v1/customers/{id}', { params: { path: { id: 'c2' } } })).then(
      () => 'found',
      (error: unknown) => (error instanceof AlignKycProblemError ? error.code : String(error)),
    )
    return { email: customer.email, problem }
  } finally {
    server.close()
  }
}

async function main(): Promise<void> {
  const from: KycStatus = 'pending'
  const rest = await callService()
  const emulator = new AlignEmulator()
  const { url } = await emulator.start()
  try {
    const align = new AlignClient({ apiKey: emulator.apiKey, baseUrl: url, maxRetries: 0 })
    const customer: AlignCustomer = await align.customers.create({
      email: 'consumer@example.com',
      type: 'individual',
      first_name: 'Con',
      last_name: 'Sumer',
    })
    const missing = await align.customers.get('no-such-customer').then(
      () => 'found',
      (error: unknown) => (error instanceof AlignNotFoundError ? 'AlignNotFoundError' : String(error)),
    )
    const params = {
      source_currency: 'usd',
      destination_token: 'usdc',
      destination_network: 'polygon',
      destination_address: '0x742d35Cc6634C0532925a3b844Bc9e7595f0aB42',
    } as const
    const refused = await align.virtualAccounts.create(customer.customer_id, params).then(
      () => false,
      (error: unknown) => isAlignKycRefusal(error),
    )
    await align.customers.simulateCustomer({ customer_id: customer.customer_id, action: 'kyc.status.approve' })
    const account: AlignVirtualAccount = await align.virtualAccounts.create(customer.customer_id, params)
    const usInstructions = isUsDepositInstructions(account.deposit_instructions)
    const format = typeof module === 'object' ? 'commonjs' : 'module'
    console.log(
      JSON.stringify({
        format,
        approvable: canTransition(from, 'approved'),
        email: customer.email,
        missing,
        refused,
        usInstructions,
        rest,
      }),
    )
  } finally {
    await emulator.stop()
  }
}

void main()
`

type Scenario = {
  name: string
  /** The app's package.json "type": how node and tsc (node16/nodenext) read its .js/.ts files. */
  type: 'commonjs' | 'module'
  compilerOptions: Record<string, string>
}

const SCENARIOS: Scenario[] = [
  { name: 'cjs-node16', type: 'commonjs', compilerOptions: { module: 'node16', moduleResolution: 'node16' } },
  {
    name: 'cjs-nodenext',
    type: 'commonjs',
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' },
  },
  {
    name: 'esm-nodenext',
    type: 'module',
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' },
  },
  { name: 'esm-bundler', type: 'module', compilerOptions: { module: 'esnext', moduleResolution: 'bundler' } },
]

describe.each(SCENARIOS)('a $name app', ({ name, type, compilerOptions }) => {
  const dir = path.join(here, '.out', name)

  beforeAll(async () => {
    await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { recursive: true })
    await writeFile(
      path.join(dir, 'package.json'),
      JSON.stringify({ name: `consumer-${name}`, private: true, type }),
    )
    await writeFile(path.join(dir, 'main.ts'), APP)
    const tsconfig = {
      compilerOptions: {
        ...compilerOptions,
        target: 'ES2022',
        strict: true,
        esModuleInterop: true,
        // The packages' own .d.ts files are checked too: a declaration that does not resolve fails here.
        skipLibCheck: false,
        types: ['node'],
        outDir: 'dist',
      },
      files: ['main.ts'],
    }
    await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
  })

  it('type-checks and compiles with tsc', async () => {
    const result = await run(process.execPath, [tsc, '-p', dir]).catch((error: { stdout?: string }) => error)
    expect(result.stdout).toBe('')
    const emitted = await readFile(path.join(dir, 'dist', 'main.js'), 'utf8')
    expect(emitted.includes('require("@align-kyc/domain")')).toBe(type === 'commonjs')
  })

  it('runs with node', async () => {
    const { stdout } = await run(process.execPath, [path.join(dir, 'dist', 'main.js')], { cwd: dir })
    expect(JSON.parse(stdout)).toEqual({
      format: type,
      approvable: true,
      email: 'consumer@example.com',
      missing: 'AlignNotFoundError',
      refused: true,
      usInstructions: true,
      rest: { email: 'rest@example.com', problem: 'customer_not_found' },
    })
  })
})
