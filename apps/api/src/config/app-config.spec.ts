import path from 'node:path'
import { ConfigError, DEV_API_TOKEN, loadConfig } from './app-config.js'

describe('loadConfig', () => {
  it('runs on embedded defaults with no environment at all', () => {
    const c = loadConfig({})
    expect(c.port).toBe(3000)
    expect(c.database).toEqual({ kind: 'pglite', dataDir: path.resolve('.data/pglite') })
    expect(c.align).toMatchObject({
      environment: 'local',
      apiKey: null,
      timeoutMs: 10_000,
      webhookSecrets: [],
    })
    expect(c.kycLink).toEqual({ ttlMs: 24 * 3_600_000, renewalMarginMs: 5 * 60_000 })
    expect(c.apiKeys).toEqual([DEV_API_TOKEN])
    expect(c.usingDevToken).toBe(true)
    expect(c.rateLimitPerMinute).toBe(600)
    expect(c.rateLimitRedisUrl).toBeNull()
    expect(c.migrateOnStart).toBe(true)
    expect(c.reconcile).toEqual({ afterMs: 15 * 60_000, intervalMs: 60_000, batchSize: 50 })
    expect(c.webhookWorker).toEqual({ intervalMs: 2_000, maxAttempts: 12, coalesceWindowMs: 1_000 })
  })

  it('takes a redis:// or rediss:// URL for shared rate limiting and never echoes its password', () => {
    expect(loadConfig({ RATE_LIMIT_REDIS_URL: ' rediss://:pw@cache.local:6380/2 ' }).rateLimitRedisUrl).toBe(
      'rediss://:pw@cache.local:6380/2',
    )
    expect(loadConfig({ RATE_LIMIT_REDIS_URL: '' }).rateLimitRedisUrl).toBeNull()
    for (const bad of ['cache:6379', 'http://user:pw@cache', 'redis//x']) {
      expect(() => loadConfig({ RATE_LIMIT_REDIS_URL: bad })).toThrow(
        /^Invalid configuration: RATE_LIMIT_REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL/,
      )
    }
    expect(() => loadConfig({ RATE_LIMIT_REDIS_URL: 'http://user:pw@cache' })).toThrow(/user:\*\*\*@cache/)
  })

  it('keeps the local emulator state next to the embedded database, or nowhere for a throw-away one', () => {
    expect(loadConfig({}).align.emulatorStateFile).toBe(path.resolve('.data/pglite.align-emulator.json'))
    expect(loadConfig({ DATABASE_URL: 'pglite://memory' }).align.emulatorStateFile).toBeNull()
    // Beside the data folder, named after it: two embedded databases in one folder never share it.
    expect(loadConfig({ DATABASE_URL: 'pglite:///tmp/x/db' }).align.emulatorStateFile).toBe(
      '/tmp/x/db.align-emulator.json',
    )
    expect(loadConfig({ DATABASE_URL: 'postgresql://u@db.local:5433/kyc' }).align.emulatorStateFile).toBe(
      path.resolve('.data/align-emulator.db.local-5433-kyc.json'),
    )
    expect(loadConfig({ ALIGN_EMULATOR_STATE_FILE: 'none' }).align.emulatorStateFile).toBeNull()
    expect(loadConfig({ ALIGN_EMULATOR_STATE_FILE: '/tmp/e.json' }).align.emulatorStateFile).toBe(
      '/tmp/e.json',
    )
  })

  it('defaults to sandbox with an API key, and the webhook secret to the API key', () => {
    const c = loadConfig({ ALIGN_API_KEY: 'k1' })
    expect(c.align.environment).toBe('sandbox')
    expect(c.align.webhookSecrets).toEqual(['k1'])
  })

  it('reads lists: API_KEYS, rotating webhook secrets, CORS origins', () => {
    const c = loadConfig({
      ALIGN_API_KEY: 'k',
      API_KEYS: ' a, b ,,c ',
      ALIGN_WEBHOOK_SECRET: 'new,old',
      CORS_ORIGINS: 'https://a.example,https://b.example',
    })
    expect(c.apiKeys).toEqual(['a', 'b', 'c'])
    expect(c.usingDevToken).toBe(false)
    expect(c.align.webhookSecrets).toEqual(['new', 'old'])
    expect(c.corsOrigins).toEqual(['https://a.example', 'https://b.example'])
  })

  it.each([
    ['pglite://memory', { kind: 'pglite', dataDir: null }],
    ['pglite://./tmp/db', { kind: 'pglite', dataDir: path.resolve('./tmp/db') }],
    ['postgresql://u@h:5432/d', { kind: 'postgres', url: 'postgresql://u@h:5432/d' }],
    ['postgres://u@h/d', { kind: 'postgres', url: 'postgres://u@h/d' }],
  ])('DATABASE_URL %s', (value, expected) => {
    expect(loadConfig({ DATABASE_URL: value }).database).toEqual(expected)
  })

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'pglite://' }, 'DATABASE_URL'],
    [{ ALIGN_ENVIRONMENT: 'sandbox' }, 'ALIGN_API_KEY'],
    [{ ALIGN_ENVIRONMENT: 'production', ALIGN_API_KEY: 'k' }, 'API_KEYS'],
    [{ NODE_ENV: 'production' }, 'API_KEYS'],
    [{ ALIGN_TIMEOUT_MS: '0' }, 'ALIGN_TIMEOUT_MS'],
    [{ KYC_LINK_TTL: 'soon' }, 'KYC_LINK_TTL'],
    [{ KYC_LINK_RENEWAL_MARGIN: '24h' }, 'KYC_LINK_RENEWAL_MARGIN'],
    [{ RECONCILE_INTERVAL: 'never' }, 'RECONCILE_INTERVAL'],
    [{ WEBHOOK_COALESCE_WINDOW: 'a while' }, 'WEBHOOK_COALESCE_WINDOW'],
    [{ ALIGN_WEBHOOK_URL: 'not a url' }, 'ALIGN_WEBHOOK_URL'],
  ])('rejects %j naming %s in one line', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError)
    try {
      loadConfig(env)
    } catch (e) {
      expect((e as Error).message).toMatch(new RegExp(`^Invalid configuration: ${name}: `))
      expect((e as Error).message).not.toContain('\n')
    }
  })

  it('accepts RECONCILE_INTERVAL=0 (off), RATE_LIMIT_PER_MINUTE=0 (off) and WEBHOOK_COALESCE_WINDOW=0', () => {
    const c = loadConfig({
      RECONCILE_INTERVAL: '0',
      RATE_LIMIT_PER_MINUTE: '0',
      WEBHOOK_COALESCE_WINDOW: '0',
    })
    expect(c.reconcile.intervalMs).toBe(0)
    expect(c.rateLimitPerMinute).toBe(0)
    expect(c.webhookWorker.coalesceWindowMs).toBe(0)
  })

  it('never echoes a database password', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://u:hunter2@h/d' })).toThrow(/mysql:\/\/u:\*\*\*@h\/d/)
  })
})
