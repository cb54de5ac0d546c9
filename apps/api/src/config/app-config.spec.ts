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

  it('reads OPERATOR_KEYS apart from API_KEYS; unset, an operator token exists only beside the development token', () => {
    expect(loadConfig({ OPERATOR_KEYS: 'op1, op2' }).operatorKeys).toEqual(['op1', 'op2'])
    // Nothing configured, outside production: the development tokens, consumer and operator.
    const dev = loadConfig({})
    expect(dev.apiKeys).toEqual(['dev-token'])
    expect(dev.operatorKeys).toEqual(['dev-operator'])
    // Operators named: only those.
    expect(loadConfig({ OPERATOR_KEYS: 'op1' }).operatorKeys).toEqual(['op1'])
    // API_KEYS named (a shared instance): no operator unless OPERATOR_KEYS names one.
    expect(loadConfig({ API_KEYS: 'k1' }).operatorKeys).toEqual([])
    // Production never has a development token of either kind.
    const prod = loadConfig({
      NODE_ENV: 'production',
      API_KEYS: 'k1',
      ALIGN_API_KEY: 'ak',
      ALIGN_ENVIRONMENT: 'sandbox',
      WEBHOOK_ENDPOINT_KEY: Buffer.alloc(32, 1).toString('base64'),
      CLIENT_TOKEN_SECRET: 'x'.repeat(32),
    })
    expect(prod.operatorKeys).toEqual([])
  })

  it('reads WEBHOOK_BODY_RETENTION (default 30 days)', () => {
    expect(loadConfig({}).webhookBodyRetentionMs).toBe(30 * 86_400_000)
    expect(loadConfig({ WEBHOOK_BODY_RETENTION: '7d' }).webhookBodyRetentionMs).toBe(7 * 86_400_000)
  })

  it('reads CONSOLE_DIR (default: null, the console beside the build)', () => {
    expect(loadConfig({}).consoleDir).toBeNull()
    expect(loadConfig({ CONSOLE_DIR: ' /srv/console ' }).consoleDir).toBe('/srv/console')
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
    [{ NODE_ENV: 'production', API_KEYS: 't' }, 'WEBHOOK_ENDPOINT_KEY'],
    [{ WEBHOOK_ENDPOINT_KEY: 'c2hvcnQ=' }, 'WEBHOOK_ENDPOINT_KEY'],
    [{ WEBHOOK_ENDPOINT_KEY: ' , ' }, 'WEBHOOK_ENDPOINT_KEY'],
    [
      { NODE_ENV: 'production', API_KEYS: 't', WEBHOOK_ENDPOINT_KEY: 'A'.repeat(43) + '=' },
      'CLIENT_TOKEN_SECRET',
    ],
    [{ CLIENT_TOKEN_SECRET: 'too-short' }, 'CLIENT_TOKEN_SECRET'],
    [{ CLIENT_TOKEN_SECRET: `${'x'.repeat(32)},short` }, 'CLIENT_TOKEN_SECRET'],
    [{ CLIENT_TOKEN_SECRET: ' , ' }, 'CLIENT_TOKEN_SECRET'],
    [{ EVENT_RETENTION: '0' }, 'EVENT_RETENTION'],
    [{ WEBHOOK_BODY_RETENTION: '0' }, 'WEBHOOK_BODY_RETENTION'],
    [{ WEBHOOK_BODY_RETENTION: 'a month' }, 'WEBHOOK_BODY_RETENTION'],
    [{ API_KEYS: 'a,b', OPERATOR_KEYS: 'b' }, 'OPERATOR_KEYS'],
    [{ EVENT_WEBHOOK_TIMEOUT: 'long' }, 'EVENT_WEBHOOK_TIMEOUT'],
    [{ EVENT_WEBHOOK_RETRY_BASE: '-1s' }, 'EVENT_WEBHOOK_RETRY_BASE'],
    [{ EVENT_WEBHOOK_RETRY_FOR: 'forever' }, 'EVENT_WEBHOOK_RETRY_FOR'],
    [{ CONSOLE_DIR: '  ' }, 'CONSOLE_DIR'],
  ])('rejects %j naming %s in one line', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError)
    try {
      loadConfig(env)
    } catch (e) {
      expect((e as Error).message).toMatch(new RegExp(`^Invalid configuration: ${name}: `))
      expect((e as Error).message).not.toContain('\n')
    }
  })

  // A value that is set but empty, or holds no usable entry, is a bad value, not an unset one
  // (api-contract.md, Configuration): each of these used to start and then do the wrong thing.
  it.each([
    [{ API_KEYS: '   ' }, 'API_KEYS', /expected one or more comma-separated tokens/],
    [{ API_KEYS: '' }, 'API_KEYS', /expected one or more comma-separated tokens/],
    [{ API_KEYS: ' , ,' }, 'API_KEYS', /expected one or more comma-separated tokens/],
    [{ API_KEYS: 'good-token,has space' }, 'API_KEYS', /token 2 of 2 contains whitespace/],
    [{ API_KEYS: 'tab\there' }, 'API_KEYS', /token 1 of 1 contains whitespace/],
    [{ API_KEYS: 'caf\u00e9' }, 'API_KEYS', /token 1 of 1 contains whitespace or a character/],
    [{ OPERATOR_KEYS: '' }, 'OPERATOR_KEYS', /expected one or more comma-separated tokens/],
    [{ OPERATOR_KEYS: ' , ' }, 'OPERATOR_KEYS', /expected one or more comma-separated tokens/],
    [{ OPERATOR_KEYS: 'ok,has space' }, 'OPERATOR_KEYS', /token 2 of 2 contains whitespace/],
    [{ ALIGN_WEBHOOK_SECRET: ' ', ALIGN_API_KEY: 'k' }, 'ALIGN_WEBHOOK_SECRET', /expected one or more/],
    [{ ALIGN_WEBHOOK_SECRET: ',' }, 'ALIGN_WEBHOOK_SECRET', /expected one or more/],
    [{ CORS_ORIGINS: '' }, 'CORS_ORIGINS', /expected one or more comma-separated origins/],
    [{ CORS_ORIGINS: 'http://localhost:8080/' }, 'CORS_ORIGINS', /got "http:\/\/localhost:8080\/"/],
    [{ CORS_ORIGINS: 'localhost:8080' }, 'CORS_ORIGINS', /scheme:\/\/host\[:port\].*got "localhost:8080"/],
    [
      { CORS_ORIGINS: 'https://a.example,https://b.example/app' },
      'CORS_ORIGINS',
      /got "https:\/\/b.example\/app"/,
    ],
    [{ CORS_ORIGINS: '*' }, 'CORS_ORIGINS', /got "\*"/],
    [{ CORS_ORIGINS: 'ftp://files.example' }, 'CORS_ORIGINS', /got "ftp:\/\/files.example"/],
    [{ CORS_ORIGINS: 'https://app.example?x=1' }, 'CORS_ORIGINS', /got "https:\/\/app.example\?x=1"/],
    [{ KYC_LINK_TTL: '0s' }, 'KYC_LINK_TTL', /expected a duration longer than zero/],
    [{ KYC_LINK_TTL: '0' }, 'KYC_LINK_TTL', /expected a duration like 30s, 15m, 24h or 7d, got "0"/],
    [{ WEBHOOK_WORKER_INTERVAL: '0ms' }, 'WEBHOOK_WORKER_INTERVAL', /longer than zero/],
    [
      { KYC_LINK_TTL: '5m', KYC_LINK_RENEWAL_MARGIN: '10m' },
      'KYC_LINK_RENEWAL_MARGIN',
      /shorter than KYC_LINK_TTL \(5m\), got "10m"/,
    ],
    [{ TRUST_PROXY: '' }, 'TRUST_PROXY', /expected off, a hop count/],
    [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY', /got "true"/],
    [{ TRUST_PROXY: '-1' }, 'TRUST_PROXY', /got "-1"/],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY', /got "10.0.0.0\/33"/],
    [{ TRUST_PROXY: '10.0.0.1,proxy.internal' }, 'TRUST_PROXY', /got "proxy.internal"/],
    [{ TRUST_PROXY: '::1/129' }, 'TRUST_PROXY', /got "::1\/129"/],
    [{ TRUST_PROXY: ' , ' }, 'TRUST_PROXY', /expected off, a hop count/],
  ])('rejects %j naming %s', (env, name, detail) => {
    let message = ''
    try {
      loadConfig(env)
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError)
      message = (e as Error).message
    }
    expect(message).toMatch(new RegExp(`^Invalid configuration: ${name}: `))
    expect(message).toMatch(detail)
    expect(message).not.toContain('\n')
  })

  it('never echoes a bearer token or webhook secret in a refusal', () => {
    for (const env of [{ API_KEYS: 'fine,secret token' }, { API_KEYS: 'secr\u00e9t' }]) {
      expect(() => loadConfig(env)).toThrow(ConfigError)
      expect(() => loadConfig(env)).not.toThrow(/secr/)
    }
  })

  it('takes CORS origins as a browser sends them, lower-cased, without a default port', () => {
    expect(
      loadConfig({ CORS_ORIGINS: ' https://App.Example:443 , http://localhost:8080,http://[::1]:3000' })
        .corsOrigins,
    ).toEqual(['https://app.example', 'http://localhost:8080', 'http://[::1]:3000'])
    expect(loadConfig({}).corsOrigins).toEqual([])
  })

  it.each([
    [undefined, false],
    ['off', false],
    ['false', false],
    ['0', false],
    ['1', 1],
    [' 2 ', 2],
    ['127.0.0.1', ['127.0.0.1']],
    ['10.0.0.0/8, 192.168.1.7 ,::1,fd00::/8', ['10.0.0.0/8', '192.168.1.7', '::1', 'fd00::/8']],
    ['loopback,uniquelocal,linklocal', ['loopback', 'uniquelocal', 'linklocal']],
  ])('TRUST_PROXY=%j trusts %j', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toEqual(expected)
  })

  it('allows a zero renewal margin (renew only once expired)', () => {
    expect(loadConfig({ KYC_LINK_RENEWAL_MARGIN: '0s' }).kycLink.renewalMarginMs).toBe(0)
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
