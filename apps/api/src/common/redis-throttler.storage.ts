import { Logger, type OnApplicationShutdown } from '@nestjs/common'
import type { ThrottlerStorage } from '@nestjs/throttler'
import { Redis } from 'ioredis'

/** Counter of one token in one window, and its block: in one round trip, atomically (Lua). */
const INCREMENT = `
local blockedFor = redis.call('PTTL', KEYS[2])
if blockedFor > 0 then
  return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1]), 1, blockedFor}
end
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local expiresIn = redis.call('PTTL', KEYS[1])
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return {hits, expiresIn, 1, tonumber(ARGV[3])}
end
return {hits, expiresIn, 0, 0}`

type Counted = [hits: number, expiresInMs: number, blocked: 0 | 1, blockedForMs: number]
type WithIncrement = Redis & {
  throttleIncrement(
    hitsKey: string,
    blockKey: string,
    ttl: number,
    limit: number,
    block: number,
  ): Promise<Counted>
}

/**
 * @nestjs/throttler's storage in Redis, so that every instance behind the load balancer counts
 * against one budget per token (the built-in storage counts per process: N instances allow N times
 * the limit). Fixed windows of `ttl`; over the limit, the token is blocked for `blockDuration`.
 *
 * Hand-written because the maintained package (@nest-lab/throttler-storage-redis 1.2) declares peers
 * only up to Nest 11. If Redis cannot answer within 250 ms the request is let through (and the
 * outage logged once per minute): the rate limiter must not become a reason for the API to fail.
 */
export class RedisThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit')
  private readonly redis: WithIncrement
  private lastWarning = 0

  constructor(url: string) {
    this.redis = new Redis(url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 250,
      keyPrefix: 'align-kyc:throttle:',
    }) as WithIncrement
    this.redis.defineCommand('throttleIncrement', { numberOfKeys: 2, lua: INCREMENT })
    // ioredis reconnects by itself; without a listener an unreachable Redis is an unhandled 'error'.
    this.redis.on('error', (e: Error) => this.warn(e))
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string) {
    const base = `${throttlerName}:${key}`
    try {
      const [hits, expiresInMs, blocked, blockedForMs] = await this.redis.throttleIncrement(
        `${base}:hits`,
        `${base}:block`,
        ttl,
        limit,
        blockDuration,
      )
      return {
        totalHits: hits,
        timeToExpire: Math.max(0, Math.ceil(expiresInMs / 1000)),
        isBlocked: blocked === 1,
        timeToBlockExpire: Math.max(0, Math.ceil(blockedForMs / 1000)),
      }
    } catch (e) {
      this.warn(e as Error)
      return { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect()
  }

  private warn(e: Error): void {
    const now = Date.now()
    if (now - this.lastWarning < 60_000) return
    this.lastWarning = now
    this.logger.warn(`Redis unavailable, requests are not rate limited meanwhile: ${e.message}`)
  }
}
