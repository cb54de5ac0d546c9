import { hash, timingSafeEqual } from 'node:crypto'
import { type CanActivate, type ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common'
import { Reflector } from '@nestjs/core'
import type { FastifyRequest } from 'fastify'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import { AppError } from './app-error.js'
import { CLIENT_TOKEN_ROUTE_KEY, ClientTokens, type ClientTokenRoute } from './client-tokens.js'

const IS_PUBLIC = 'align-kyc:public'
const IS_OPERATOR = 'align-kyc:operator'

/** Marks a route (health, docs, Align's webhook) as open: no bearer token. */
export const Public = () => SetMetadata(IS_PUBLIC, true)

/**
 * Marks a route as an operator route: only a token from OPERATOR_KEYS passes; a consumer token gets
 * `403 insufficient_scope`. Use it through ApiOperatorProtected (api-docs.ts), which also documents the
 * scope in the OpenAPI document, so what is enforced and what is documented come from one decorator.
 */
export const OperatorOnly = () => SetMetadata(IS_OPERATOR, true)

/** Who may call a route: anyone, any token (consumer or operator), or operator tokens only. */
type Access = 'public' | 'consumer' | 'operator'

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

/** Whether `candidate` equals one of `tokens`: every one is compared (no early exit), in constant time each. */
function matchesAny(candidate: Buffer, tokens: readonly Buffer[]): boolean {
  let ok = false
  for (const t of tokens) ok = timingSafeEqual(candidate, t) || ok
  return ok
}

/**
 * Requires `Authorization: Bearer <token>` with a token from API_KEYS (consumer) or OPERATOR_KEYS
 * (operator, which may also do everything a consumer may); routes marked OperatorOnly take operator
 * tokens only. Tokens are compared as SHA-256 digests with timingSafeEqual (equal lengths, constant
 * time), against every configured token of both lists, whatever the route, so the time taken says
 * nothing about which list (if any) holds the token. A token is never logged or echoed. A token that
 * is none of them but a client token (client-tokens.ts) is verified and held to the route's
 * ClientTokenAllowed and its `:id` instead.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  private readonly consumerTokens: Buffer[]
  private readonly operatorTokens: Buffer[]
  /** Each handler's access, read once: its metadata never changes after start-up. */
  private readonly access = new WeakMap<object, Access>()
  /** Per handler, whether (and how) client tokens may call it; null: they may not. */
  private readonly clientRoutes = new WeakMap<object, ClientTokenRoute | null>()

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly clientTokens: ClientTokens,
  ) {
    this.consumerTokens = config.apiKeys.map(digest)
    this.operatorTokens = config.operatorKeys.map(digest)
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const access = this.accessOf(context)
    if (access === 'public') return true
    const request = context.switchToHttp().getRequest<FastifyRequest>()
    const candidate = bearerTokenDigest(request)
    if (candidate !== null) {
      const operator = matchesAny(candidate, this.operatorTokens)
      const consumer = matchesAny(candidate, this.consumerTokens)
      if (operator || (consumer && access === 'consumer')) return true
      if (consumer) {
        throw new AppError(
          'insufficient_scope',
          'This route needs an operator token (one of OPERATOR_KEYS); a consumer token may not call it.',
        )
      }
    }
    const route = access === 'operator' ? null : this.clientRoute(context)
    const clientToken = this.clientTokens.presented(request, route)
    if (clientToken !== null) return this.clientTokens.authorize(request, clientToken, route)
    throw new AppError(
      'unauthorized',
      'Send Authorization: Bearer <token> with a token from API_KEYS or OPERATOR_KEYS.',
    )
  }

  private accessOf(context: ExecutionContext): Access {
    const handler = context.getHandler()
    let access = this.access.get(handler)
    if (access === undefined) {
      const targets = [handler, context.getClass()]
      access = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)
        ? 'public'
        : this.reflector.getAllAndOverride<boolean>(IS_OPERATOR, targets)
          ? 'operator'
          : 'consumer'
      this.access.set(handler, access)
    }
    return access
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
