/** The emulator's options and their defaults: the one place to add an option. */
import type { AlignEmulatorKycState } from './store.js'

/** Logger the emulator reports deliveries and failures to. It never logs the API key. */
export type AlignEmulatorLogger = {
  info(msg: string, meta?: object): void
  warn(msg: string, meta?: object): void
}

/** Options of `AlignEmulator`. */
export type AlignEmulatorOptions = {
  /** Key clients must send raw in `Authorization`. Default `'emulator-api-key'`. Also the webhook signing key. */
  apiKey?: string
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string
  /** Port; 0 (default) picks a free one. */
  port?: number
  /** Lifetime of each KYC flow link in ms. Default 24 h. */
  linkTtlMs?: number
  /** Latency added to every Align route, in ms. Default 0. */
  latencyMs?: number
  /**
   * The KYC state a customer moves to when a link is issued for it (`POST /v0/customers/:id/kycs`),
   * as if Align's status changed as the link was issued, e.g. `{ status: 'pending', sub_status:
   * 'kyc_form_submission_started' }`; an approved customer keeps its state. No webhook is sent.
   * Default: issuing a link leaves the state as it is.
   */
  statusOnLinkCreation?: AlignEmulatorKycState
  /** Webhook delivery retries: `attempts` in total (default 5), backoff `baseDelayMs * 2^(n-1)` (default 500 ms). */
  webhookRetry?: { attempts?: number; baseDelayMs?: number }
  /** Where to report deliveries. Default: silent. */
  logger?: AlignEmulatorLogger
  /**
   * A JSON file that keeps customers, links and webhook registrations across restarts. Every change
   * is on disk before it is answered (or before its webhook is sent), and survives `kill -9` and
   * power loss: the file is replaced atomically (temporary file, fsync, rename, fsync of the
   * directory). A change that cannot be saved is answered `503 state_not_saved`. On start it is read
   * back, and its port is reused when `port` is 0, so links handed out before a restart keep
   * working. Default: nothing is kept.
   */
  stateFile?: string
  /**
   * Also send `virtual_account.created` when a pending account is issued (`simulate
   * issue_pending_virtual_account`), not only when it is created. Align documents the event, not
   * when an asynchronous account triggers it. Default false: once, at creation.
   */
  virtualAccountWebhookOnIssue?: boolean
}

/** Options with every default applied. */
export type ResolvedEmulatorOptions = {
  apiKey: string
  host: string
  port: number
  linkTtlMs: number
  latencyMs: number
  statusOnLinkCreation: AlignEmulatorKycState | undefined
  webhookAttempts: number
  webhookBaseDelayMs: number
  logger: AlignEmulatorLogger | undefined
  stateFile: string | undefined
  virtualAccountWebhookOnIssue: boolean
}

const DAY_MS = 24 * 60 * 60 * 1000

export function resolveOptions(options: AlignEmulatorOptions): ResolvedEmulatorOptions {
  return {
    apiKey: options.apiKey ?? 'emulator-api-key',
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    linkTtlMs: options.linkTtlMs ?? DAY_MS,
    latencyMs: options.latencyMs ?? 0,
    statusOnLinkCreation: options.statusOnLinkCreation,
    webhookAttempts: Math.max(1, options.webhookRetry?.attempts ?? 5),
    webhookBaseDelayMs: options.webhookRetry?.baseDelayMs ?? 500,
    logger: options.logger,
    stateFile: options.stateFile,
    virtualAccountWebhookOnIssue: options.virtualAccountWebhookOnIssue ?? false,
  }
}
