#!/usr/bin/env node
/*
 * Manages the webhook endpoints registered with Align:
 *   npm run align:webhooks -- register <url>   (idempotent: lists first, creates only when no active one has it)
 *   npm run align:webhooks -- list
 *   npm run align:webhooks -- delete <id>
 * Reads ALIGN_API_KEY / ALIGN_ENVIRONMENT / ALIGN_BASE_URL / ALIGN_TIMEOUT_MS through loadConfig.
 * Never prints the key. Exit codes: 0 ok, 1 failure (one line on stderr), 64 usage, 78 configuration.
 */
import { AlignClient, type AlignWebhook } from '@align-kyc/align-client'
import { activeRegistration } from '../align/webhook-registration.js'
import { ConfigError, loadConfig } from '../config/app-config.js'
import { loadEnvFile } from '../config/env-file.js'

const USAGE = 'usage: align:webhooks register <url> | list | delete <id>'

class UsageError extends Error {}

function clientFromEnv(env: Record<string, string | undefined>): AlignClient {
  const config = loadConfig(env)
  const { align } = config
  if (align.environment === 'local' || !align.apiKey) {
    throw new ConfigError(
      'Invalid configuration: ALIGN_API_KEY: required (set ALIGN_ENVIRONMENT=sandbox or production); in local mode the service registers its own webhook with the built-in emulator',
    )
  }
  return new AlignClient({
    apiKey: align.apiKey,
    environment: align.environment,
    ...(align.baseUrl ? { baseUrl: align.baseUrl } : {}),
    timeoutMs: align.timeoutMs,
  })
}

const line = (w: AlignWebhook) =>
  [w.id, w.url, w.status, w.created_at && `(created ${w.created_at})`].filter(Boolean).join('  ')

function requireUrl(value: string | undefined): string {
  if (!value) throw new UsageError(`register needs a URL. ${USAGE}`)
  let u: URL
  try {
    u = new URL(value)
  } catch {
    throw new UsageError(`not a URL: ${value}`)
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new UsageError(`expected an http(s) URL, got ${value}`)
  return value
}

async function run(
  argv: string[],
  env: Record<string, string | undefined>,
  out: (s: string) => void,
): Promise<void> {
  const [command, arg] = argv
  if (command !== 'register' && command !== 'list' && command !== 'delete') throw new UsageError(USAGE)
  const url = command === 'register' ? requireUrl(arg) : null
  if (command === 'delete' && !arg) throw new UsageError(`delete needs a webhook id. ${USAGE}`)
  const align = clientFromEnv(env)
  const where = align.baseUrl
  switch (command) {
    case 'list': {
      const { items } = await align.webhooks.list()
      out(items.length ? `${items.length} webhook(s) at ${where}:` : `No webhooks registered at ${where}.`)
      for (const w of items) out(`  ${line(w)}`)
      return
    }
    case 'register': {
      const { items } = await align.webhooks.list()
      const existing = activeRegistration(items, url!)
      if (existing) {
        out(`Already registered: ${line(existing)}`)
        return
      }
      out(`Registered: ${line(await align.webhooks.create({ url: url! }))}`)
      return
    }
    case 'delete': {
      await align.webhooks.delete(arg!)
      out(`Deleted webhook ${arg}.`)
      return
    }
  }
}

// The same `.env` as the service's (run from the repository root, as `npm run align:webhooks` does).
Promise.resolve()
  .then(() => {
    loadEnvFile()
    return run(process.argv.slice(2), process.env, (s) => process.stdout.write(`${s}\n`))
  })
  .then(
    () => process.exit(0),
    (e: unknown) => {
      const msg = e instanceof Error ? e.message.split('\n')[0] : String(e)
      process.stderr.write(`align:webhooks: ${msg}\n`)
      process.exit(e instanceof UsageError ? 64 : e instanceof ConfigError ? 78 : 1)
    },
  )
