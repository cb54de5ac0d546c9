import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  AlignKycProblemError,
  createAlignKycClient,
  isAlignKycProblem,
  unwrap,
  type AlignKycClient,
} from '@align-kyc/api-client'
import { ServiceProcess, startStack, TOKEN, type Stack } from './support/test-app.js'
import { eventually } from './support/webhooks.js'

const DOCUMENT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../packages/api-client/openapi.json',
)
const REGENERATE = 'npm run generate -w @align-kyc/api-client'
const EVM = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'

/** JSON pointers where `a` and `b` differ (the first few), to say what changed. */
function differences(a: unknown, b: unknown, at = '', found: string[] = []): string[] {
  if (found.length >= 10 || JSON.stringify(a) === JSON.stringify(b)) return found
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a)) {
    found.push(at || '/')
    return found
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  for (const k of keys)
    differences(
      (a as Record<string, unknown>)[k],
      (b as Record<string, unknown>)[k],
      `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`,
      found,
    )
  return found
}

describe('@align-kyc/api-client', () => {
  it(`was generated from the served OpenAPI document (${REGENERATE} regenerates it)`, async () => {
    // The same service the generator starts: the built one, local mode, an in-memory database.
    const svc = await ServiceProcess.start({ DATABASE_URL: 'pglite://memory' }, { timeoutMs: 60_000 })
    try {
      const served: unknown = await (await fetch(`${svc.url}/docs-json`)).json()
      const committed: unknown = JSON.parse(await readFile(DOCUMENT, 'utf8'))
      const changed = differences(served, committed)
      if (changed.length)
        throw new Error(
          `packages/api-client/openapi.json is not the served /docs-json (differs at ${changed.join(', ')}): run \`${REGENERATE}\` and commit the result`,
        )
      expect(Object.keys((served as { paths: object }).paths)).toContain('/v1/customers')
    } finally {
      await svc.stop()
    }
  })

  describe('against the service', () => {
    let stack: Stack
    let client: AlignKycClient
    beforeAll(async () => {
      stack = await startStack({ RECONCILE_INTERVAL: '0' })
      client = createAlignKycClient({ baseUrl: stack.url, token: TOKEN })
    })
    afterAll(() => stack?.close())

    it('creates a customer, links, approves, opens a virtual account and reads the events', async () => {
      const customer = await unwrap(
        client.POST('/v1/customers', {
          body: { email: 'client@example.com', type: 'individual', firstName: 'Ada', lastName: 'Lovelace' },
        }),
      )
      expect(customer).toMatchObject({ email: 'client@example.com', kyc: { status: 'not_started' } })
      const id = customer.id
      const byId = { params: { path: { id } } }

      const session = await unwrap(client.POST('/v1/customers/{id}/kyc-sessions', { ...byId, body: {} }))
      expect(session.kycUrl).toMatch(/^https?:\/\//)
      expect(session.reused).toBe(false)

      const before = await unwrap(client.GET('/v1/customers/{id}/capabilities', byId))
      expect(before).toMatchObject({ virtualAccounts: false, virtualAccountCurrencies: [] })
      const usd = {
        sourceCurrency: 'usd',
        destinationToken: 'usdc',
        destinationNetwork: 'polygon',
        destinationAddress: EVM,
      } as const
      const refused = await unwrap(
        client.POST('/v1/customers/{id}/virtual-accounts', { ...byId, body: usd }),
      ).catch((e: unknown) => e)
      expect(refused).toBeInstanceOf(AlignKycProblemError)
      expect(refused).toMatchObject({ status: 409, code: 'kyc_not_approved', kycStatus: session.status })
      expect((refused as AlignKycProblemError).requestId).toEqual(expect.any(String))

      await unwrap(
        client.POST('/v1/sandbox/customers/{id}/simulate', {
          ...byId,
          body: { action: 'kyc.status.approve' },
        }),
      )
      const kyc = await unwrap(client.GET('/v1/customers/{id}/kyc', byId))
      expect(kyc.status).toBe('approved')
      const after = await unwrap(client.GET('/v1/customers/{id}/capabilities', byId))
      expect(after).toMatchObject({ virtualAccounts: true, reason: null })
      expect(after.virtualAccountCurrencies).toContain('usd')

      const account = await unwrap(client.POST('/v1/customers/{id}/virtual-accounts', { ...byId, body: usd }))
      expect(account).toMatchObject({ customerId: id, status: 'active', sourceCurrency: 'usd' })
      const listed = await unwrap(client.GET('/v1/customers/{id}/virtual-accounts', byId))
      expect(listed.items.map((a) => a.id)).toEqual([account.id])

      // The feed numbers committed events shortly after the commit (the relay): wait for the last one.
      const events = await eventually('virtual_account.created in the feed', async () => {
        const page = await unwrap(client.GET('/v1/events', { params: { query: { customerId: id } } }))
        return page.items.some((e) => e.type === 'virtual_account.created') && page
      })
      const types = events.items.map((e) => e.type)
      expect(types[0]).toBe('customer.created')
      expect(types).toContain('customer.kyc.updated')
      expect(events.items.map((e) => e.sequence)).toEqual(types.map((_, i) => i + 1))
    })

    it('surfaces problem details: validation errors, unknown customers, a wrong token', async () => {
      const invalid = (await unwrap(
        client.POST('/v1/customers', { body: { email: 'not-an-email', type: 'individual' } }),
      ).catch((e: unknown) => e)) as AlignKycProblemError
      expect(invalid).toMatchObject({ status: 400, code: 'validation_failed' })
      expect(invalid.errors.map((e) => e.field)).toContain('email')

      const missing = await unwrap(
        client.GET('/v1/customers/{id}', {
          params: { path: { id: '00000000-0000-4000-8000-000000000000' } },
        }),
      ).catch((e: unknown) => e)
      expect(isAlignKycProblem(missing, 'customer_not_found')).toBe(true)
      expect(missing).toMatchObject({ status: 404 })

      const stranger = createAlignKycClient({ baseUrl: stack.url, token: 'not-a-key' })
      const refused = await unwrap(stranger.GET('/v1/customers', { params: { query: {} } })).catch(
        (e: unknown) => e,
      )
      expect(refused).toMatchObject({ status: 401, code: 'unauthorized' })
    })
  })
})
