import { hash, timingSafeEqual } from 'node:crypto'
import { type CanActivate, type ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common'
import { Reflector } from '@nestjs/core'
import type { FastifyRequest } from 'fastify'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import { AppError } from './app-error.js'
import { CLIENT_TOKEN_ROUTE_KEY, ClientTokens, type ClientTokenRoute } from './client-tokens.js'

const IS_PUBLIC = 'align-kyc:public'

/** Marks a route (health, docs, Align's webhook) as open: no bearer token. */
export const Public = () => SetMetadata(IS_PUBLIC, true)

// One-shot hash, not createHash(): a Hash object is a native handle the GC must track (weakly) and
// finalize, one per request; with them every young-generation GC paused ~0.2 ms longer under load
// (--trace-gc-nvp: heap.external_weak_global_handles), which showed in the warm link's p99.
const digest = (s: string) => hash('sha256', s, 'buffer')

/** Each request's token digest, computed once for both guards (authentication, then the rate limiter). */
const tokenDigests = new WeakMap<object, Buffer | null>()

/** SHA-256 of the request's bearer token, or null without one; hashed once per request. */
export function bearerTokenDigest(request: FastifyRequest): Buffer | null {
  let d = tokenDigests.get(request)
  if (d === undefined) {
    const token = bearerToken(request)
    d = token === null ? null : digest(token)
    tokenDigests.set(request, d)
  }
  return d
}

/** Extracts the bearer token, or null. */
function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization
  if (typeof header !== 'string') return null
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match ? match[1]! : null
}

/**
 * Requires `Authorization: Bearer <token>` with a token from API_KEYS. Tokens are compared as
 * SHA-256 digests with timingSafeEqual (equal lengths, constant time), against every configured token.
 * A token that is none of them but a client token (client-tokens.ts) is verified and held to the
 * route's ClientTokenAllowed and its `:id` instead.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  private readonly tokens: Buffer[]
  /** Whether a handler is public, per handler: its metadata never changes after start-up. */
  private readonly open = new WeakMap<object, boolean>()
  /** Per handler, whether (and how) client tokens may call it; null: they may not. */
  private readonly clientRoutes = new WeakMap<object, ClientTokenRoute | null>()

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly clientTokens: ClientTokens,
  ) {
    this.tokens = config.apiKeys.map(digest)
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const handler = context.getHandler()
    let open = this.open.get(handler)
    if (open === undefined) {
      open = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [handler, context.getClass()]) === true
      this.open.set(handler, open)
    }
    if (open) return true
    const request = context.switchToHttp().getRequest<FastifyRequest>()
    const candidate = bearerTokenDigest(request)
    if (candidate !== null) {
      let ok = false
      for (const t of this.tokens) ok = timingSafeEqual(candidate, t) || ok
      if (ok) return true
    }
    const route = this.clientRoute(context)
    const clientToken = this.clientTokens.presented(request, route)
    if (clientToken !== null) return this.clientTokens.authorize(request, clientToken, route)
    throw new AppError('unauthorized', 'Send Authorization: Bearer <token> with a token from API_KEYS.')
  }

  private clientRoute(context: ExecutionContext): ClientTokenRoute | null {
    const handler = context.getHandler()
    let route = this.clientRoutes.get(handler)
    if (route === undefined) {
      route =
        this.reflector.getAllAndOverride<ClientTokenRoute | undefined>(CLIENT_TOKEN_ROUTE_KEY, [
          handler,
          context.getClass(),
        ]) ?? null
      this.clientRoutes.set(handler, route)
    }
    return route
  }
}
