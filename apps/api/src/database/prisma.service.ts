import { Logger, type OnApplicationShutdown } from '@nestjs/common'
import type { PGlite } from '@electric-sql/pglite'
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils'
import { PrismaClient } from '../generated/prisma/client.js'
import type { SqlDatabase } from './sql.js'

/**
 * The one PrismaClient of the process, on a driver adapter (adapter-pg for PostgreSQL,
 * pglite-prisma-adapter for the embedded database). Only repositories use it.
 */
export class PrismaService extends PrismaClient implements OnApplicationShutdown {
  private readonly logger = new Logger(PrismaService.name)

  constructor(
    adapter: SqlDriverAdapterFactory,
    /** The embedded database, when there is one; closed on shutdown. */
    readonly pglite: PGlite | null,
    /** Plain SQL on the same connections, for the hot paths (see sql.ts). */
    readonly sql: SqlDatabase,
  ) {
    super({ adapter })
  }

  /**
   * Runs after the HTTP server has closed and finished the requests in flight (Nest calls
   * onModuleDestroy before that, which would cut those requests off from the database).
   */
  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect().catch((e: unknown) => this.logger.warn(`disconnect failed: ${String(e)}`))
    await this.sql.close().catch((e: unknown) => this.logger.warn(`closing the pool failed: ${String(e)}`))
    if (this.pglite && !this.pglite.closed) await this.pglite.close()
  }
}
