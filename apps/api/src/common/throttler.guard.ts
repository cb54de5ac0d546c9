import { Injectable } from '@nestjs/common'
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler'
import type { ExecutionContext } from '@nestjs/common'
import type { FastifyRequest } from 'fastify'
import { AppError } from './app-error.js'
import { bearerTokenDigest } from './auth.guard.js'

/**
 * Rate limit per consumer token (a digest of it, never the token itself), falling back to the client
 * address for unauthenticated routes: the connection's peer, or the address the proxies TRUST_PROXY
 * names report (`X-Forwarded-For` from anyone else is ignored). Over the limit: 429 rate_limited with
 * Retry-After.
 */
@Injectable()
export class TokenThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const token = bearerTokenDigest(req as unknown as FastifyRequest)
    if (token) return `t:${token.toString('base64url').slice(0, 22)}`
    return `ip:${String((req as { ip?: string }).ip ?? 'unknown')}`
  }

  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new AppError('rate_limited', `More than ${detail.limit} requests per minute for this token.`, {
      retryAfterSeconds: Math.max(1, Math.ceil(detail.timeToBlockExpire || detail.timeToExpire)),
    })
  }
}
