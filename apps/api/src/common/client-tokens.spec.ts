import type { FastifyRequest } from 'fastify'
import { decodeProtectedHeader, jwtVerify, SignJWT } from 'jose'
import { loadConfig } from '../config/app-config.js'
import type { PrismaService } from '../database/prisma.service.js'
import { AppError } from './app-error.js'
import { CLIENT_TOKEN_AUDIENCE, CLIENT_TOKEN_PATHS, ClientTokens } from './client-tokens.js'

const A = 'a'.repeat(32)
const B = 'b'.repeat(32)
const ID = '3f6c0c4e-8a1b-4c2d-9e3f-0a1b2c3d4e5f'

async function tokens(secrets: string): Promise<ClientTokens> {
  // With CLIENT_TOKEN_SECRET set the database is never asked.
  const t = new ClientTokens(null as unknown as PrismaService, loadConfig({ CLIENT_TOKEN_SECRET: secrets }))
  await t.onModuleInit()
  return t
}

const req = (over: Partial<FastifyRequest>) =>
  ({ headers: {}, query: {}, params: {}, ...over }) as FastifyRequest

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'ok'
  } catch (e) {
    return e instanceof AppError ? e.code : String(e)
  }
}

describe('ClientTokens', () => {
  it('verifies what it signs: the customer (lower-cased) and exp in whole seconds, rounded up', async () => {
    const t = await tokens(A)
    const now = new Date('2026-12-01T12:00:00.400Z')
    const { token, expiresAt } = await t.sign(ID.toUpperCase(), 15 * 60_000, now)
    expect(expiresAt.toISOString()).toBe('2026-12-01T12:15:01.000Z')
    const exact = await t.sign(ID, 15 * 60_000, new Date('2026-12-01T12:00:00.000Z'))
    expect(exact.expiresAt.toISOString()).toBe('2026-12-01T12:15:00.000Z')
    // Verified against the real clock: this token is long expired.
    expect(await code(t.verify(token))).toBe('unauthorized')
    const live = await t.sign(ID, 60_000)
    expect(await t.verify(live.token)).toEqual({ customerId: ID, expiresAt: live.expiresAt })
  })

  it('keeps tokens of an older secret valid after a rotation, not after its removal', async () => {
    const before = await tokens(A)
    const { token } = await before.sign(ID, 60_000)
    expect(await code((await tokens(`${B},${A}`)).verify(token))).toBe('ok')
    expect(await code((await tokens(B)).verify(token))).toBe('unauthorized')
    // The new first secret signs.
    const after = await (await tokens(`${B},${A}`)).sign(ID, 60_000)
    expect(await code(before.verify(after.token))).toBe('unauthorized')
  })

  it('signs and verifies with HMAC-SHA256 keyed by the secret itself (tokens outlive a change of how the key is held)', async () => {
    const t = await tokens(A)
    const raw = new TextEncoder().encode(A)
    const { token } = await t.sign(ID, 60_000)
    // What it signs verifies with the secret's bytes as the key (any HS256 implementation) ...
    const { payload } = await jwtVerify(token, raw, {
      algorithms: ['HS256'],
      audience: CLIENT_TOKEN_AUDIENCE,
    })
    expect(payload.sub).toBe(ID)
    // ... and a token signed that way, with its header, verifies here; with another secret's bytes it does not.
    const { kid, typ } = decodeProtectedHeader(token)
    const resign = (key: Uint8Array) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', typ: typ!, kid: kid! })
        .setSubject(ID)
        .setAudience(CLIENT_TOKEN_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('1m')
        .sign(key)
    expect(await code(t.verify(await resign(raw)))).toBe('ok')
    expect(await code(t.verify(await resign(new TextEncoder().encode(B))))).toBe('unauthorized')
  })

  it('refuses the route (403) unless ClientTokenAllowed and the :id is its customer', async () => {
    const t = await tokens(A)
    const { token } = await t.sign(ID, 60_000)
    const route = { queryToken: false }
    expect(await code(t.authorize(req({ params: { id: ID } }), token, null))).toBe('insufficient_scope')
    expect(await code(t.authorize(req({ params: { id: ID.replace('3f', '4f') } }), token, route))).toBe(
      'insufficient_scope',
    )
    const ok = req({ params: { id: ID.toUpperCase() } })
    expect(await code(t.authorize(ok, token, route))).toBe('ok')
    expect(t.claimsOf(ok)?.customerId).toBe(ID)
  })

  it('takes a JWT-shaped bearer token, and ?access_token only where the route allows it', async () => {
    const t = await tokens(A)
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'
    expect(t.presented(req({ headers: { authorization: `Bearer ${jwt}` } }), null)).toBe(jwt)
    expect(t.presented(req({ headers: { authorization: 'Bearer dev-token' } }), null)).toBeNull()
    const query = req({ query: { access_token: jwt } })
    expect(t.presented(query, { queryToken: false })).toBeNull()
    expect(t.presented(query, { queryToken: true })).toBe(jwt)
  })

  it.each([
    ['/v1/customers/x/kyc-sessions', true],
    ['/v1/customers/x/kyc/status', true],
    ['/v1/customers/x/kyc/events?access_token=y', true],
    ['/v1/customers/x/kyc', false],
    ['/v1/customers/x/kyc/sync', false],
    ['/v1/customers/x/client-tokens', false],
    ['/v1/customers/x/kyc/statusx', false],
    ['/v1/customers', false],
  ])('CLIENT_TOKEN_PATHS %s: %s', (url, open) => {
    expect(CLIENT_TOKEN_PATHS.test(url)).toBe(open)
  })
})
