import { checkLinkPolicy, LINK_POLICY_DEFAULTS, parseDuration, type LinkPolicy } from '@align-kyc/domain'
import { isIP } from 'node:net'
import path from 'node:path'
import { z } from 'zod'
import { parseDatabaseUrl, type DatabaseTarget } from '../database/database-url.js'

/** The service's whole configuration, validated once at boot (see README "Configuration"). */
export type AppConfig = {
  nodeEnv: string
  port: number
  host: string
  database: DatabaseTarget
  migrateOnStart: boolean
  align: {
    environment: 'local' | 'sandbox' | 'production'
    apiKey: string | null
    baseUrl: string | null
    /** HMAC keys for webhook signatures; the first is the current one */
    webhookSecrets: string[]
    timeoutMs: number
    webhookUrl: string | null
    /** Local mode: where the built-in emulator keeps its customers and links across restarts (null: in memory) */
    emulatorStateFile: string | null
  }
  kycLink: LinkPolicy
  /** Consumer bearer tokens. */
  apiKeys: string[]
  /** True when API_KEYS was unset outside production and the development token is accepted. */
  usingDevToken: boolean
  /**
   * Operator bearer tokens (OPERATOR_KEYS): everything a consumer token may do, plus the operator
   * routes. Empty: no operator token exists and the operator routes answer 403 (never the dev token).
   */
  operatorKeys: string[]
  rateLimitPerMinute: number
  /** Redis shared by all instances for the rate limiter's counters; null: counted per process. */
  rateLimitRedisUrl: string | null
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  /** Browser origins allowed by CORS, as browsers send them in `Origin` (empty: no CORS). */
  corsOrigins: string[]
  /**
   * Whose `X-Forwarded-*` headers to believe: false (nobody: the connection's peer is the client), a
   * hop count (the nearest N proxies, whoever they are), or proxy addresses/CIDRs (also `loopback`,
   * `linklocal`, `uniquelocal`).
   */
  trustProxy: false | number | string[]
  bodyLimitBytes: number
  reconcile: { afterMs: number; intervalMs: number; batchSize: number }
  webhookWorker: { intervalMs: number; maxAttempts: number; coalesceWindowMs: number }
  /** Raw bodies of inbound webhook deliveries are erased this long after receipt (WEBHOOK_BODY_RETENTION). */
  webhookBodyRetentionMs: number
  /** Events for the product's own systems (the feed and outbound webhooks). */
  events: {
    /** Events older than this are deleted (EVENT_RETENTION). */
    retentionMs: number
    /** An endpoint must answer 2xx within this (EVENT_WEBHOOK_TIMEOUT). */
    webhookTimeoutMs: number
    /** First retry after about this long, doubling (EVENT_WEBHOOK_RETRY_BASE). */
    retryBaseMs: number
    /** A delivery is retried this long after its event, then `failed` (EVENT_WEBHOOK_RETRY_FOR). */
    retryForMs: number
    /**
     * AES-256 keys for endpoint secrets (WEBHOOK_ENDPOINT_KEY), the first encrypts; null outside
     * production when unset: a generated key kept in the database is used.
     */
    endpointKeys: Buffer[] | null
  }
  /**
   * HMAC keys of client tokens (CLIENT_TOKEN_SECRET), the first signs and every one verifies; null
   * outside production when unset: a secret generated into the database is used.
   */
  clientTokenSecrets: string[] | null
  /** After a write fails for lack of disk space, /health/ready answers 503 this long (0: not at all). */
  readinessDiskFullHoldMs: number
  /** The operators' console's built files (CONSOLE_DIR); null: apps/console/dist beside this build. */
  consoleDir: string | null
}

/**
 * Production is either side saying so: Align's production environment, or NODE_ENV=production. There
 * API_KEYS is required.
 */
export function isProduction(config: { nodeEnv: string; align: { environment: string } }): boolean {
  return config.align.environment === 'production' || config.nodeEnv === 'production'
}

/** Accepted outside production when API_KEYS is unset, so the local walk-through works out of the box. */
export const DEV_API_TOKEN = 'dev-token'

/**
 * The operator's counterpart (the console, the operator routes), under the same condition and only
 * when OPERATOR_KEYS is unset too: `npm start` then opens the console with nothing to configure.
 * Naming any API_KEYS (a shared or deployed instance) ends both.
 */
export const DEV_OPERATOR_TOKEN = 'dev-operator'

export class ConfigError extends Error {}

const list = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)

/**
 * A comma-separated list: unset is `undefined` (the default applies); set but empty, or holding no
 * entry, is a bad value (api-contract.md: "set but empty or holds no usable entry"). `what` names the
 * entries in the message; entries are never echoed (they may be secrets).
 */
const nonEmptyList = (what: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined
      const entries = list(v)
      if (entries.length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `expected one or more comma-separated ${what}, got an empty value`,
        })
        return z.NEVER
      }
      return entries
    })

/**
 * Bearer tokens: a token must be sendable as `Authorization: Bearer <token>`, so visible ASCII with no
 * whitespace; anything else would start and then never match. Which entry is wrong is said by
 * position, never by value.
 */
const tokenList = nonEmptyList('tokens').transform((tokens, ctx) => {
  if (tokens === undefined) return undefined
  const bad = tokens.findIndex((t) => !/^[\x21-\x7e]+$/.test(t))
  if (bad >= 0) {
    ctx.addIssue({
      code: 'custom',
      message:
        `token ${bad + 1} of ${tokens.length} contains whitespace or a character a bearer token cannot ` +
        'carry (expected comma-separated tokens of visible ASCII characters)',
    })
    return z.NEVER
  }
  return tokens
})

/**
 * CORS origins as a browser sends them in `Origin`: `scheme://host[:port]`, nothing after it (not even
 * a `/`), so that a typo fails at start rather than every preflight later. Scheme and host are
 * case-insensitive and a default port is dropped, as the browser does.
 */
const originList = nonEmptyList('origins').transform((origins, ctx) => {
  if (origins === undefined) return []
  const out: string[] = []
  for (const entry of origins) {
    let origin: string | null = null
    const scheme = /^(https?):\/\//i.exec(entry)
    if (scheme && !/[/?#@\\]/.test(entry.slice(scheme[0].length))) {
      try {
        origin = new URL(entry).origin
      } catch {
        origin = null
      }
    }
    if (!origin || origin === 'null') {
      ctx.addIssue({
        code: 'custom',
        message:
          'expected comma-separated origins as a browser sends them, scheme://host[:port] with no path ' +
          `(e.g. https://app.example.com,http://localhost:8080), got "${entry}"`,
      })
      return z.NEVER
    }
    out.push(origin)
  }
  return out
})

const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal']

/** One proxy address, CIDR or range name, as @fastify/proxy-addr (Fastify's trustProxy) takes them. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true
  const [address, prefix, ...rest] = entry.split('/')
  const family = isIP(address ?? '')
  if (family === 0 || rest.length) return false
  if (prefix === undefined) return true
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128)
}

const trustProxy = z
  .string()
  .optional()
  .transform((v, ctx): false | number | string[] => {
    if (v === undefined) return false
    const t = v.trim().toLowerCase()
    if (t === 'off' || t === 'false' || t === '0') return false
    if (/^\d{1,2}$/.test(t)) return Number(t)
    const entries = list(t)
    const bad = entries.find((e) => !isProxyAddress(e))
    if (entries.length === 0 || bad !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message:
          'expected off, a hop count (1, 2, ...) or comma-separated proxy addresses/CIDRs ' +
          `(e.g. 10.0.0.0/8,loopback), got "${bad ?? v}"`,
      })
      return z.NEVER
    }
    return entries
  })

const int = (min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback
      const n = Number(v)
      if (!/^\d+$/.test(v.trim()) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `expected an integer from ${min} to ${max}, got "${v}"` })
        return z.NEVER
      }
      return n
    })

/**
 * A duration (`30s`, `15m`, `24h`, `7d`). `zero`: what a zero duration means: `refused` (a bad value:
 * a zero TTL or polling interval is never meant), `allowed` (a real value), or `off` (also as `0`).
 */
const duration = (fallback: string, zero: 'refused' | 'allowed' | 'off' = 'refused') =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const text = v === undefined || v.trim() === '' ? fallback : v.trim()
      if (zero !== 'refused' && text === '0') return 0
      let ms: number
      try {
        ms = parseDuration(text)
      } catch {
        const off = zero === 'off' ? ' (or 0 to turn it off)' : ''
        ctx.addIssue({
          code: 'custom',
          message: `expected a duration like 30s, 15m, 24h or 7d${off}, got "${text}"`,
        })
        return z.NEVER
      }
      if (ms === 0 && zero === 'refused') {
        ctx.addIssue({
          code: 'custom',
          message: `expected a duration longer than zero (like 30s, 15m, 24h or 7d), got "${text}"`,
        })
        return z.NEVER
      }
      return ms
    })

/** Base64 (or hex) AES-256 keys, 32 bytes each, comma-separated; never echoed in a message. */
const keyList = nonEmptyList('keys').transform((keys, ctx) => {
  if (keys === undefined) return undefined
  const out: Buffer[] = []
  for (const [i, k] of keys.entries()) {
    const key = /^[0-9a-f]{64}$/i.test(k) ? Buffer.from(k, 'hex') : Buffer.from(k, 'base64')
    if (key.length !== 32 || (!/^[0-9a-f]{64}$/i.test(k) && key.toString('base64') !== k)) {
      ctx.addIssue({
        code: 'custom',
        message:
          `key ${i + 1} of ${keys.length} is not 32 bytes in base64 or hex ` +
          '(generate one with: openssl rand -base64 32)',
      })
      return z.NEVER
    }
    out.push(key)
  }
  return out
})

/** Client-token signing secrets: at least 32 characters each (HS256 wants a 256-bit key). */
const secretList = tokenList.transform((secrets, ctx) => {
  if (secrets === undefined) return undefined
  const short = secrets.findIndex((s) => s.length < 32)
  if (short >= 0) {
    ctx.addIssue({
      code: 'custom',
      message:
        `secret ${short + 1} of ${secrets.length} is shorter than 32 characters ` +
        '(generate one with: openssl rand -base64 32)',
    })
    return z.NEVER
  }
  return secrets
})

const bool = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback
      const s = v.trim().toLowerCase()
      if (['true', '1', 'yes'].includes(s)) return true
      if (['false', '0', 'no'].includes(s)) return false
      ctx.addIssue({ code: 'custom', message: `expected true or false, got "${v}"` })
      return z.NEVER
    })

const url = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === '') return null
    try {
      const u = new URL(v.trim())
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error()
      return v.trim().replace(/\/+$/, '')
    } catch {
      ctx.addIssue({ code: 'custom', message: `expected an http(s) URL, got "${v}"` })
      return z.NEVER
    }
  })

const envSchema = z.object({
  NODE_ENV: z.string().optional(),
  PORT: int(0, 65535, 3000), // 0: any free port (tests); the bound port is logged
  HOST: z.string().optional(),
  DATABASE_URL: z
    .string()
    .optional()
    .transform((v, ctx) => {
      try {
        return parseDatabaseUrl(v)
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: `${(e as Error).message}, got "${redactUrl(v ?? '')}"` })
        return z.NEVER
      }
    }),
  MIGRATE_ON_START: bool(true),
  ALIGN_ENVIRONMENT: z
    .enum(['local', 'sandbox', 'production'], { message: 'expected local, sandbox or production' })
    .optional(),
  ALIGN_API_KEY: z.string().optional(),
  ALIGN_BASE_URL: url,
  ALIGN_WEBHOOK_SECRET: nonEmptyList('keys'),
  ALIGN_WEBHOOK_URL: url,
  ALIGN_EMULATOR_STATE_FILE: z.string().optional(),
  CONSOLE_DIR: z.string().trim().min(1, { message: 'expected a directory' }).optional(),
  ALIGN_TIMEOUT_MS: int(1, 600_000, 10_000),
  KYC_LINK_TTL: duration(LINK_POLICY_DEFAULTS.ttl),
  KYC_LINK_RENEWAL_MARGIN: duration(LINK_POLICY_DEFAULTS.renewalMargin, 'allowed'),
  API_KEYS: tokenList,
  OPERATOR_KEYS: tokenList,
  RATE_LIMIT_PER_MINUTE: int(0, 10_000_000, 600),
  RATE_LIMIT_REDIS_URL: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const t = v?.trim()
      if (!t) return null
      try {
        const u = new URL(t)
        if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error()
        return t
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: `expected a redis:// or rediss:// URL, got "${redactUrl(t)}"`,
        })
        return z.NEVER
      }
    }),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      message: 'expected fatal, error, warn, info, debug, trace or silent',
    })
    .optional(),
  CORS_ORIGINS: originList,
  TRUST_PROXY: trustProxy,
  BODY_LIMIT_BYTES: int(1024, 50 * 1024 * 1024, 100 * 1024),
  RECONCILE_AFTER: duration('15m', 'allowed'),
  RECONCILE_INTERVAL: duration('1m', 'off'),
  RECONCILE_BATCH_SIZE: int(1, 1000, 50),
  WEBHOOK_WORKER_INTERVAL: duration('2s'),
  WEBHOOK_MAX_ATTEMPTS: int(1, 100, 12),
  READINESS_DISK_FULL_HOLD: duration('30s', 'off'),
  WEBHOOK_COALESCE_WINDOW: duration('1s', 'allowed'),
  EVENT_RETENTION: duration('30d'),
  WEBHOOK_BODY_RETENTION: duration('30d'),
  EVENT_WEBHOOK_TIMEOUT: duration('10s'),
  EVENT_WEBHOOK_RETRY_BASE: duration('5s'),
  EVENT_WEBHOOK_RETRY_FOR: duration('3d'),
  WEBHOOK_ENDPOINT_KEY: keyList,
  CLIENT_TOKEN_SECRET: secretList,
})

/**
 * Local mode keeps the emulator's side (customers, links) beside the database it belongs to, so a
 * restart does not leave the service holding customers and links its Align has forgotten: next to
 * an embedded database's folder (`.data/pglite.align-emulator.json`), or under `.data/` named after a
 * server database. A throw-away database keeps nothing; `none` turns it off.
 */
function emulatorStateFile(value: string | undefined, database: DatabaseTarget): string | null {
  const v = value?.trim()
  if (v === 'none') return null
  if (v) return path.resolve(v)
  if (database.kind === 'pglite') return database.dataDir ? `${database.dataDir}.align-emulator.json` : null
  const u = new URL(database.url)
  const name = `${u.hostname}-${u.port || 5432}-${u.pathname.slice(1)}`.replace(/[^A-Za-z0-9_.-]/g, '_')
  return path.resolve(`.data/align-emulator.${name}.json`)
}

/**
 * The link policy, checked by the domain's rule (checkLinkPolicy); a problem is reported under the
 * variable it blames, quoting the values as given (or the defaults they fell back to).
 */
function linkPolicy(
  ttlMs: number,
  renewalMarginMs: number,
  env: Record<string, string | undefined>,
): LinkPolicy {
  const policy = { ttlMs, renewalMarginMs }
  const problem = checkLinkPolicy(policy)
  if (problem === null) return policy
  const ttl = env['KYC_LINK_TTL']?.trim() || LINK_POLICY_DEFAULTS.ttl
  const margin = env['KYC_LINK_RENEWAL_MARGIN']?.trim() || LINK_POLICY_DEFAULTS.renewalMargin
  if (problem.reason === 'margin_not_shorter_than_ttl') {
    throw new ConfigError(
      `Invalid configuration: KYC_LINK_RENEWAL_MARGIN: expected a duration shorter than KYC_LINK_TTL ` +
        `(${ttl}), got "${margin}"`,
    )
  }
  // Not reached from the environment today (durations are never negative, a zero TTL is refused).
  const name = problem.field === 'ttl' ? 'KYC_LINK_TTL' : 'KYC_LINK_RENEWAL_MARGIN'
  throw new ConfigError(`Invalid configuration: ${name}: ${problem.detail}`)
}

function redactUrl(v: string): string {
  return v.replace(/\/\/([^:@/]*):([^@/]+)@/, '//$1:***@')
}

/**
 * Validates the environment into an AppConfig. Throws ConfigError whose message is one line naming
 * the variable and what it expects. Secrets never appear in the message.
 */
export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const parsed = envSchema.safeParse(env)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const name = String(issue.path[0] ?? 'environment')
    throw new ConfigError(`Invalid configuration: ${name}: ${issue.message}`)
  }
  const e = parsed.data
  const apiKey = e.ALIGN_API_KEY?.trim() || null
  const environment = e.ALIGN_ENVIRONMENT ?? (apiKey ? 'sandbox' : 'local')
  const nodeEnv = e.NODE_ENV ?? 'development'
  if (environment !== 'local' && !apiKey) {
    throw new ConfigError(
      `Invalid configuration: ALIGN_API_KEY: required when ALIGN_ENVIRONMENT is ${environment}`,
    )
  }
  const production = isProduction({ nodeEnv, align: { environment } })
  let apiKeys = e.API_KEYS ?? []
  if (production && apiKeys.length === 0) {
    throw new ConfigError(
      'Invalid configuration: API_KEYS: required in production (comma-separated bearer tokens)',
    )
  }
  if (production && !e.WEBHOOK_ENDPOINT_KEY) {
    throw new ConfigError(
      'Invalid configuration: WEBHOOK_ENDPOINT_KEY: required in production ' +
        '(a base64 32-byte key that encrypts webhook endpoint secrets: openssl rand -base64 32)',
    )
  }
  if (production && !e.CLIENT_TOKEN_SECRET) {
    throw new ConfigError(
      'Invalid configuration: CLIENT_TOKEN_SECRET: required in production ' +
        '(a random secret of 32 or more characters that signs client tokens: openssl rand -base64 32)',
    )
  }
  let operatorKeys = e.OPERATOR_KEYS ?? []
  // One token in both lists would make its scope depend on which list is read first.
  if (operatorKeys.some((t) => apiKeys.includes(t))) {
    throw new ConfigError(
      'Invalid configuration: OPERATOR_KEYS: a token is also in API_KEYS (an operator token is a separate token)',
    )
  }
  const usingDevToken = apiKeys.length === 0
  if (usingDevToken) apiKeys = [DEV_API_TOKEN]
  if (usingDevToken && operatorKeys.length === 0) operatorKeys = [DEV_OPERATOR_TOKEN]
  const kycLink = linkPolicy(e.KYC_LINK_TTL, e.KYC_LINK_RENEWAL_MARGIN, env)
  const webhookSecrets = e.ALIGN_WEBHOOK_SECRET ?? []
  return {
    nodeEnv,
    port: e.PORT,
    host: e.HOST?.trim() || '0.0.0.0',
    database: e.DATABASE_URL,
    migrateOnStart: e.MIGRATE_ON_START,
    align: {
      environment,
      apiKey,
      baseUrl: e.ALIGN_BASE_URL,
      // In local mode the emulator's key is filled in when it starts (AlignModule).
      webhookSecrets: webhookSecrets.length ? webhookSecrets : apiKey ? [apiKey] : [],
      timeoutMs: e.ALIGN_TIMEOUT_MS,
      webhookUrl: e.ALIGN_WEBHOOK_URL,
      emulatorStateFile: emulatorStateFile(e.ALIGN_EMULATOR_STATE_FILE, e.DATABASE_URL),
    },
    kycLink,
    apiKeys,
    usingDevToken,
    operatorKeys,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    rateLimitRedisUrl: e.RATE_LIMIT_REDIS_URL,
    logLevel: e.LOG_LEVEL ?? 'info',
    corsOrigins: e.CORS_ORIGINS,
    trustProxy: e.TRUST_PROXY,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    reconcile: {
      afterMs: e.RECONCILE_AFTER,
      intervalMs: e.RECONCILE_INTERVAL,
      batchSize: e.RECONCILE_BATCH_SIZE,
    },
    webhookWorker: {
      intervalMs: e.WEBHOOK_WORKER_INTERVAL,
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      coalesceWindowMs: e.WEBHOOK_COALESCE_WINDOW,
    },
    events: {
      retentionMs: e.EVENT_RETENTION,
      webhookTimeoutMs: e.EVENT_WEBHOOK_TIMEOUT,
      retryBaseMs: e.EVENT_WEBHOOK_RETRY_BASE,
      retryForMs: e.EVENT_WEBHOOK_RETRY_FOR,
      endpointKeys: e.WEBHOOK_ENDPOINT_KEY ?? null,
    },
    readinessDiskFullHoldMs: e.READINESS_DISK_FULL_HOLD,
    clientTokenSecrets: e.CLIENT_TOKEN_SECRET ?? null,
    webhookBodyRetentionMs: e.WEBHOOK_BODY_RETENTION,
    consoleDir: e.CONSOLE_DIR ?? null,
  }
}
