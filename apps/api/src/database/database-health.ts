import { Inject, Injectable, Logger } from '@nestjs/common'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import { databaseFault, type DatabaseFault } from './database-errors.js'

/**
 * What the service has learnt about the database from its own failures, for readiness.
 *
 * A full disk does not show in a `SELECT 1`: reads keep working while every write that needs a new
 * page fails with 53100. So when a write fails that way (a request's or a background loop's),
 * `/health/ready` answers 503 for READINESS_DISK_FULL_HOLD (30 s; each such failure starts it again):
 * monitoring sees the instance cannot do its job, an orchestrator stops routing to it without
 * restarting it (liveness stays 200), and once space is freed readiness comes back by itself within
 * the hold. A write probe was the alternative, but a small insert usually fits in a page that is
 * already allocated and succeeds on a full disk, so it would say "ready" when it is not.
 */
@Injectable()
export class DatabaseHealth {
  private readonly logger = new Logger('Database')
  private diskFullAt: number | null = null
  private readonly holdMs: number

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.holdMs = config.readinessDiskFullHoldMs
  }

  /** Classifies a failure (see databaseFault) and remembers a full disk; returns the fault, if any. */
  observe(err: unknown): DatabaseFault | null {
    const fault = databaseFault(err)
    if (fault?.kind === 'disk_full' && this.holdMs > 0) {
      if (this.diskFullAt === null)
        this.logger.error(
          `a write failed: the database is out of disk space (${fault.reason}); not ready for ${this.holdMs / 1000} s after each such failure`,
        )
      this.diskFullAt = Date.now()
    }
    return fault
  }

  /** Why the service should not be considered ready now, or null. */
  notReadyReason(now = Date.now()): string | null {
    if (this.diskFullAt === null) return null
    const ago = now - this.diskFullAt
    if (ago >= this.holdMs) {
      this.diskFullAt = null
      return null
    }
    return `A write failed ${Math.round(ago / 1000)} s ago because the database is out of disk space (SQLSTATE 53100).`
  }
}
