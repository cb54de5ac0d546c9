import {
  evaluateCapabilities,
  type Capabilities,
  type KycStatus,
  type KycSubStatus,
  type RailStatus,
} from '@align-kyc/domain'
import type { Sql } from '../database/sql.js'

/*
 * A customer's KYC status as a frontend may see it (GET .../kyc/status and each event of
 * GET .../kyc/events): status, capabilities and the live link, no personal data and no history.
 * Here, in the shared layer, because the status route (kyc/) and the stream (events/) both serve it.
 */

/** The body of GET /v1/customers/:id/kyc/status, and the data of each `status` event of the stream. */
export type KycLiveStatus = {
  status: KycStatus
  subStatus: KycSubStatus | null
  updatedAt: string
  capabilities: Capabilities
  session: { kycUrl: string; expiresAt: string; expired: boolean } | null
}

type Row = {
  status: KycStatus
  subStatus: KycSubStatus | null
  observedAt: Date | null
  updatedAt: Date
  rails: unknown
  url: string | null
  expiresAt: Date | null
}

/** One indexed read: the customer's KYC state, rails and live link (no other columns). */
const LIVE_STATUS_SQL = `
  SELECT c.kyc_status::text AS "status", c.kyc_sub_status::text AS "subStatus",
         c.kyc_observed_at AS "observedAt", c.kyc_updated_at AS "updatedAt", c.rails AS "rails",
         s.url AS "url", s.expires_at AS "expiresAt"
    FROM customers c LEFT JOIN kyc_sessions s ON s.live_customer_id = c.id
   WHERE c.id = $1::uuid`

/** The customer's live status as of `now` (which decides `session.expired`), or null if unknown. */
export async function readKycLiveStatus(
  sql: Sql,
  customerId: string,
  now: Date = new Date(),
): Promise<KycLiveStatus | null> {
  const r = (await sql<Row>(LIVE_STATUS_SQL, [customerId]))[0]
  if (!r) return null
  const rails = Array.isArray(r.rails) ? (r.rails as RailStatus[]) : []
  return {
    status: r.status,
    subStatus: r.subStatus,
    updatedAt: r.updatedAt.toISOString(),
    capabilities: evaluateCapabilities({
      kyc: { status: r.status, subStatus: r.subStatus, observedAt: r.observedAt },
      rails,
    }),
    // url is NOT NULL in kyc_sessions: null here means no live session (the LEFT JOIN found none).
    session:
      r.url === null
        ? null
        : { kycUrl: r.url, expiresAt: r.expiresAt!.toISOString(), expired: r.expiresAt! <= now },
  }
}
