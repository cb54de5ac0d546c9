import type { Logger } from '@nestjs/common'
import type { DatabaseHealth } from './database-health.js'

/** A repeated outage is logged again after this long, so a long one still shows in recent logs. */
const REPEAT_MS = 60_000

/**
 * For background loops (the webhook worker, the reconciler): a database outage is logged when it
 * starts, at most once a minute while it lasts, and when it ends, rather than once per failed
 * round. The loops keep their own pace meanwhile (every WEBHOOK_WORKER_INTERVAL /
 * RECONCILE_INTERVAL), so they neither spin nor stop.
 */
export class OutageLog {
  private downSince: number | null = null
  private loggedAt: number | null = null

  constructor(
    private readonly logger: Logger,
    private readonly database: DatabaseHealth,
    /** What carries on, for the message: e.g. "the webhook worker tries again every 2 s". */
    private readonly carryOn: string,
  ) {}

  /**
   * True if `e` is a database outage (see databaseFault): it is then logged here, or left out as a
   * repeat. False: not an outage, the caller logs it.
   */
  failed(e: unknown, now = Date.now()): boolean {
    const fault = this.database.observe(e)
    if (!fault) return false
    if (this.downSince === null) this.downSince = now
    if (this.loggedAt === null || now - this.loggedAt >= REPEAT_MS) {
      this.loggedAt = now
      const since = now - this.downSince
      this.logger.warn(
        `database unavailable (${fault.reason})${since ? ` for ${Math.round(since / 1000)} s` : ''}; ${this.carryOn}`,
      )
    }
    return true
  }

  /** A round reached the database: logs the end of an outage, if there was one. */
  succeeded(now = Date.now()): void {
    if (this.downSince === null) return
    this.logger.log(`database reachable again after ${Math.round((now - this.downSince) / 1000)} s`)
    this.downSince = null
    this.loggedAt = null
  }
}

/**
 * A failure as the loops log it (and the worker stores it): an outage in a few words, without the
 * driver's text (a full disk is noted for readiness on the way).
 */
export function describeFailure(e: unknown, database: DatabaseHealth): string {
  const fault = database.observe(e)
  if (fault) return `database unavailable (${fault.reason})`
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e)
}
