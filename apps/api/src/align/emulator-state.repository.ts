import { Injectable } from '@nestjs/common'
import { PrismaService } from '../database/prisma.service.js'

/** What this database says the built-in Align emulator handed out (local mode only). */
export type EmulatorReferences = {
  /** Align ids of the newest customers. */
  alignCustomerIds: string[]
  /** URLs of the newest live (not superseded, not expired) KYC links. */
  liveLinkUrls: string[]
}

@Injectable()
export class EmulatorStateRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The newest `limit` customers and live links: enough to tell whether the emulator knows them. */
  async newestReferences(limit: number, now: Date): Promise<EmulatorReferences> {
    const [customers, sessions] = await Promise.all([
      this.prisma.customer.findMany({
        select: { alignCustomerId: true },
        orderBy: { createdAt: 'desc' },
        take: limit,
      }),
      this.prisma.kycSession.findMany({
        where: { supersededAt: null, expiresAt: { gt: now } },
        select: { url: true },
        orderBy: { createdAt: 'desc' },
        take: limit,
      }),
    ])
    return {
      alignCustomerIds: customers.map((c) => c.alignCustomerId),
      liveLinkUrls: sessions.map((s) => s.url),
    }
  }
}
