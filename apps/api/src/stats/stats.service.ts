import { Injectable } from '@nestjs/common'
import { StatsRepository, type KycStats } from './stats.repository.js'

/** Operators' statistics; the numbers are computed by the database (StatsRepository). */
@Injectable()
export class StatsService {
  constructor(private readonly stats: StatsRepository) {}

  /** KYC statistics for customers created in `[from, to)` (validated by statsQuerySchema). */
  kyc(from: Date, to: Date): Promise<KycStats> {
    return this.stats.kycStats(from, to)
  }
}
