import type { Logger } from '@nestjs/common'
import { describeFailure, OutageLog } from './outage-log.js'
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
  private timer: NodeJS.Timeout | null = null

  /**
   * A periodic job's rounds: a round at once and then every `everyMs` on every instance (the job
   * itself makes sure only one does the work), a database outage logged with `carryOn` as what
   * carries on. Starts with `start()`, ends with `stop()`.
   */
  static periodic(
    round: () => Promise<void>,
    log: { logger: Logger; database: DatabaseHealth; what: string; carryOn: string; everyMs: number },
  ): Rounds & { start(): void } {
    const rounds = new Rounds(round, { ...log, outage: new OutageLog(log.logger, log.database, log.carryOn) })
    return Object.assign(rounds, {
      start: () => {
        rounds.every(log.everyMs)
        rounds.kick()
      },
    })
  }

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

  /** Also kicks a round every `ms` until stop() (the timer never keeps the process alive). */
  every(ms: number): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = setInterval(() => this.kick(), ms)
    this.timer.unref()
  }

  /** Waits until no round runs (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running
  }

  /** No new rounds; waits for the one in flight. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    await this.idle().catch(() => undefined)
  }
}
