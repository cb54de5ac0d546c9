import type { Logger } from '@nestjs/common'
import { describeFailure, type OutageLog } from './outage-log.js'
import type { DatabaseHealth } from './database-health.js'

/**
 * A background worker's rounds (the webhook worker, the session-status reader): at most one round
 * runs at a time; `kick()` starts one now, or right after the current one when work arrived during
 * it; a failed round is logged (a database outage through the OutageLog: when it starts, once a
 * minute, when it ends) and never stops the loop. `stop()` waits for the round in flight.
 */
export class Rounds {
  private running: Promise<void> | null = null
  private again = false
  private stopped = false

  constructor(
    private readonly round: () => Promise<void>,
    private readonly log: { logger: Logger; outage: OutageLog; database: DatabaseHealth; what: string },
  ) {}

  /** Starts a round now (or right after the current one); never throws, never blocks the caller. */
  kick(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    this.again = false
    this.running = this.round()
      .then(() => this.log.outage.succeeded())
      .catch((e: unknown) => {
        if (!this.log.outage.failed(e))
          this.log.logger.warn(`${this.log.what} failed: ${describeFailure(e, this.log.database)}`)
      })
      .finally(() => {
        this.running = null
        if (this.again) this.kick()
      })
  }

  /** Waits until no round runs (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running
  }

  /** No new rounds; waits for the one in flight. */
  async stop(): Promise<void> {
    this.stopped = true
    await this.idle().catch(() => undefined)
  }
}
