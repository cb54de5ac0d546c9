import { createHash, webcrypto } from 'node:crypto'
import { Inject, Injectable, Logger, type OnModuleInit, SetMetadata } from '@nestjs/common'
import type { FastifyRequest } from 'fastify'
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from 'jose'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import { generatedKey } from '../database/generated-keys.js'
import { PrismaService } from '../database/prisma.service.js'
import { AppError } from './app-error.js'

/*
 * Client tokens (api-contract.md, "Frontends"): short-lived JWTs (HS256, signed with jose) that the
 * product's backend mints for one customer and hands to its browser, which may then use them on
 * exactly three routes of that customer: a KYC link, the KYC status and its stream. The claims:
 * `sub` the customer id, `aud` CLIENT_TOKEN_AUDIENCE, `exp`, `iat`, and the header's `typ`
 * (RFC 8725 3.11: explicit typing, so no other JWT signed with the same key passes for one) and `kid`
 * (which CLIENT_TOKEN_SECRET entry signed it, so rotation costs one verification, not one per key).
 */

/** The `aud` claim of every client token. */
export const CLIENT_TOKEN_AUDIENCE = 'align-kyc:client'
/** The JWS header `typ` of every client token. */
const CLIENT_TOKEN_TYP = 'kyc-client+jwt'
/** The generated_keys row used outside production when CLIENT_TOKEN_SECRET is unset. */
const GENERATED_SECRET_NAME = 'client-token-secret'

/** The default and longest lifetime of a client token (api-contract.md: `15m`, at most `1h`). */
export const CLIENT_TOKEN_TTL = Object.freeze({ defaultMs: 15 * 60_000, maxMs: 60 * 60_000 })

/**
 * The paths a client token may call, and so the only ones CORS opens to browsers (app.factory.ts).
 * Kept beside the decorator: a route marked ClientTokenAllowed must match it (the e2e tests call each).
 */
export const CLIENT_TOKEN_PATHS =
  /^\/v1\/customers\/[^/?#]+\/(?:kyc-sessions|kyc\/status|kyc\/events)(?:\?|$)/

/** What a verified client token says. */
export type ClientTokenClaims = { customerId: string; expiresAt: Date }

/** A route's client-token options (see ClientTokenAllowed). */
export type ClientTokenRoute = { queryToken: boolean }

const CLIENT_TOKEN_ROUTE = 'align-kyc:client-token-route'

/**
 * Lets a customer's client token call this route (besides consumer tokens), for the customer named by
 * its `:id` only. `queryToken`: the token may also come as `?access_token=` (EventSource cannot send
 * headers); only a client token is taken from there, never an API key.
 */
export const ClientTokenAllowed = (options: { queryToken?: boolean } = {}) =>
  SetMetadata(CLIENT_TOKEN_ROUTE, { queryToken: options.queryToken ?? false } satisfies ClientTokenRoute)

/** The metadata key ClientTokenAllowed sets (the guard reads it). */
export const CLIENT_TOKEN_ROUTE_KEY = CLIENT_TOKEN_ROUTE

/** A compact JWS whose header is JSON (`eyJ`): how a client token is told from an API key. */
const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

/** The claims the guard verified, per request (the stream needs the expiry). */
const verified = new WeakMap<object, ClientTokenClaims>()

type SigningKey = { kid: string; key: webcrypto.CryptoKey }

const kidOf = (secret: string) =>
  createHash('sha256').update(`align-kyc client token key:${secret}`).digest('base64url').slice(0, 12)

/**
 * Signs and verifies client tokens. Keys: CLIENT_TOKEN_SECRET (the first signs, every one verifies,
 * so a rotation keeps live tokens valid); outside production, when it is unset, a secret generated
 * once into the database (generated_keys), shared by every instance on it.
 */
@Injectable()
export class ClientTokens implements OnModuleInit {
  private readonly logger = new Logger('ClientTokens')
  #keys: SigningKey[] = []

  constructor(
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    let secrets = this.config.clientTokenSecrets
    if (!secrets) {
      secrets = [(await generatedKey(this.prisma.sql.query, GENERATED_SECRET_NAME)).toString('base64')]
      this.logger.log(
        'CLIENT_TOKEN_SECRET is unset: client tokens are signed with a secret generated into the database (not for production)',
      )
    }
    // Imported once: handed raw bytes, jose imports the key again on every sign and verify, about
    // half of a verification's CPU (bench section 17 opens 1000 streams, each verifying one token).
    this.#keys = await Promise.all(
      secrets.map(async (s) => ({
        kid: kidOf(s),
        key: await webcrypto.subtle.importKey(
          'raw',
          new TextEncoder().encode(s),
          { name: 'HMAC', hash: 'SHA-256' },
          false,
          ['sign', 'verify'],
        ),
      })),
    )
  }

  /**
   * A token for `customerId` that expires `ttlMs` after `now`, rounded UP to whole seconds (JWT's
   * `exp`): rounding down would make a 1 s token minted late in a second expire almost at once.
   */
  async sign(
    customerId: string,
    ttlMs: number,
    now: Date = new Date(),
  ): Promise<{ token: string; expiresAt: Date }> {
    const signer = this.#keys[0]
    if (!signer) throw new Error('ClientTokens used before module init')
    const iat = Math.floor(now.getTime() / 1000)
    const exp = Math.ceil((now.getTime() + ttlMs) / 1000)
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: CLIENT_TOKEN_TYP, kid: signer.kid })
      .setSubject(customerId.toLowerCase())
      .setAudience(CLIENT_TOKEN_AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(signer.key)
    return { token, expiresAt: new Date(exp * 1000) }
  }

  /** The claims of a valid token; expired, tampered, unknown key or not a client token: 401. */
  async verify(token: string): Promise<ClientTokenClaims> {
    let kid: string | undefined
    try {
      kid = decodeProtectedHeader(token).kid
    } catch {
      throw invalid()
    }
    const signer = this.#keys.find((k) => k.kid === kid)
    if (!signer) throw invalid()
    try {
      const { payload } = await jwtVerify(token, signer.key, {
        algorithms: ['HS256'],
        audience: CLIENT_TOKEN_AUDIENCE,
        typ: CLIENT_TOKEN_TYP,
        requiredClaims: ['sub', 'exp'],
      })
      return { customerId: payload.sub!, expiresAt: new Date(payload.exp! * 1000) }
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired) {
        throw new AppError('unauthorized', 'The client token has expired: ask your backend for a new one.')
      }
      if (e instanceof joseErrors.JOSEError) throw invalid()
      throw e
    }
  }

  /**
   * The client token this request presents, or null when it presents none (an API key, or nothing:
   * the ordinary bearer check decides). A bearer token of JWT shape is one; on a route that allows
   * it, so is `?access_token=` when no Authorization header is sent.
   */
  presented(request: FastifyRequest, route: ClientTokenRoute | null): string | null {
    const header = request.headers.authorization
    if (typeof header === 'string') {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
      return match && JWT_SHAPE.test(match[1]!) ? match[1]! : null
    }
    if (!route?.queryToken) return null
    const q = (request.query as Record<string, unknown> | undefined)?.['access_token']
    return typeof q === 'string' && q !== '' ? q : null
  }

  /**
   * Verifies `token` (401) and checks it against the route (403 insufficient_scope unless the route
   * allows client tokens and its `:id` is the token's customer). Remembers the claims for claimsOf.
   */
  async authorize(request: FastifyRequest, token: string, route: ClientTokenRoute | null): Promise<true> {
    const claims = await this.verify(token)
    const id = (request.params as Record<string, unknown> | undefined)?.['id']
    if (!route) {
      throw new AppError(
        'insufficient_scope',
        'A client token may only get a KYC link, the KYC status or its stream: call this route from your backend with an API token.',
      )
    }
    if (typeof id !== 'string' || id.toLowerCase() !== claims.customerId) {
      throw new AppError('insufficient_scope', 'This client token was issued for another customer.')
    }
    verified.set(request, claims)
    return true
  }

  /** The verified client token's claims of this request, or null when it came with an API key. */
  claimsOf(request: FastifyRequest): ClientTokenClaims | null {
    return verified.get(request) ?? null
  }
}

const invalid = () =>
  new AppError('unauthorized', 'The client token is not valid (tampered, or not issued here).')
