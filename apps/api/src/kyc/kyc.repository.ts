import { randomUUID } from 'node:crypto'
import { Injectable } from '@nestjs/common'
import type {
  ApplyDecision,
  KycState,
  KycStatus,
  KycSubStatus,
  ObservationSource,
  RenewReason,
} from '@align-kyc/domain'
import { endLease, takeLease, type Lease } from '../database/leases.js'
import { PrismaService } from '../database/prisma.service.js'
import type { Sql } from '../database/sql.js'
import {
  CUSTOMER_SQL_COLUMNS,
  toCustomerRecord,
  type CustomerRecord,
  type CustomerRow,
} from '../kyc-state/customer.record.js'
import type { AlignReading } from '../kyc-state/kyc-observation.js'
import { applyReadingLocked } from '../kyc-state/kyc-state.store.js'
import { readKycLiveStatus, type KycLiveStatus } from '../kyc-state/kyc-live-status.js'

/** The live KYC link of a customer. */
export type SessionRecord = {
  id: string
  url: string
  reason: RenewReason
  createdAt: Date
  expiresAt: Date
  issuedDuring: { status: KycStatus; subStatus: KycSubStatus | null }
}

/** One link Align issued for a customer, as recorded (GET /v1/customers/:id/kyc-sessions). */
export type IssuedLink = {
  id: string
  reason: RenewReason
  issuedStatus: KycStatus
  issuedSubStatus: KycSubStatus | null
  createdAt: Date
  expiresAt: Date
  supersededAt: Date | null
}

/** A new link to record (KycRepository.recordRenewal); `now` is when it was obtained. */
export type NewSession = Pick<SessionRecord, 'url' | 'reason' | 'expiresAt' | 'issuedDuring'> & { now: Date }

export type HistoryRecord = {
  status: KycStatus
  subStatus: KycSubStatus | null
  source: ObservationSource
  occurredAt: Date
  recordedAt: Date
}

export type CustomerWithSession = { customer: CustomerRecord; session: SessionRecord | null }

/** What a link decision and a reused link's answer need, and nothing more (the warm path). */
export type LinkState = {
  kyc: Pick<KycState, 'status' | 'subStatus'>
  /** The customer's personal data was erased: no link is handed out any more. */
  redacted: boolean
  session: Pick<SessionRecord, 'url' | 'expiresAt' | 'issuedDuring'> | null
}

type LinkStateRow = Pick<
  JoinedRow,
  'kycStatus' | 'kycSubStatus' | 's_url' | 's_expires_at' | 's_issued_status' | 's_issued_sub_status'
> & { redacted: boolean }

/** What a renewal claim found (see KycRepository.claimRenewal). */
export type RenewalClaim =
  /** The lease is ours: call Align, then recordRenewal (or releaseLease on failure). */
  | { kind: 'claimed'; lease: Lease; current: CustomerWithSession }
  /** The lease was free, and `current` (read after it) needs no renewal: nothing is held. */
  | { kind: 'unclaimed'; current: CustomerWithSession }
  /** Another request, on this instance or another, is renewing: wait (renewalUnderWay) and retry. */
  | { kind: 'busy' }

/** A due status read claimed by the session-status worker; `token` fences its end. */
export type DueSync = { customerId: string; alignCustomerId: string; token: Date }

/** The renewal lease's key (ids arrive lower-cased from UuidPipe; lower-cased again to be sure). */
const linkLeaseKey = (customerId: string) => `kyc-link:${customerId.toLowerCase()}`

/** A customer row joined with its live session (s_* columns null when there is none). */
type JoinedRow = CustomerRow & {
  s_id: string | null
  s_url: string | null
  s_reason: RenewReason | null
  s_created_at: Date | null
  s_expires_at: Date | null
  s_issued_status: KycStatus | null
  s_issued_sub_status: KycSubStatus | null
}

/** A session's columns as the s_* fields of JoinedRow; `table` is the qualifier (`s.`, or none). */
const sessionColumns = (table = '') =>
  `${table}id::text AS s_id, ${table}url AS s_url, ${table}reason::text AS s_reason,
   ${table}created_at AS s_created_at, ${table}expires_at AS s_expires_at,
   ${table}issued_status::text AS s_issued_status, ${table}issued_sub_status::text AS s_issued_sub_status`

/**
 * The customer and its live session in ONE indexed statement: the whole warm path of a link
 * request (Prisma's findUnique + include issues two, each dearer than the pg client's).
 */
const JOINED_SQL = `
  SELECT ${CUSTOMER_SQL_COLUMNS},
         ${sessionColumns('s.')}
    FROM customers c LEFT JOIN kyc_sessions s ON s.live_customer_id = c.id
   WHERE c.id = $1::uuid`

function sessionFromRow(r: Omit<JoinedRow, keyof CustomerRow>): SessionRecord | null {
  if (r.s_id === null) return null
  return {
    id: r.s_id,
    url: r.s_url!,
    reason: r.s_reason!,
    createdAt: r.s_created_at!,
    expiresAt: r.s_expires_at!,
    issuedDuring: { status: r.s_issued_status!, subStatus: r.s_issued_sub_status },
  }
}

/**
 * Only what a link decision and a reused link's answer need (the warm path): six columns, one of them
 * a timestamp. Each column more costs the pg client a field description, a parser and a value per
 * request (and each timestamp a Date); the full session is read when a link is made (claimRenewal).
 */
const LINK_STATE_SQL = `
  SELECT c.kyc_status::text AS "kycStatus", c.kyc_sub_status::text AS "kycSubStatus",
         c.redacted_at IS NOT NULL AS redacted, s.url AS s_url, s.expires_at AS s_expires_at,
         s.issued_status::text AS s_issued_status, s.issued_sub_status::text AS s_issued_sub_status
    FROM customers c LEFT JOIN kyc_sessions s ON s.live_customer_id = c.id
   WHERE c.id = $1::uuid`

function joinedFromRow(row: JoinedRow | undefined): CustomerWithSession | null {
  return row ? { customer: toCustomerRecord(row), session: sessionFromRow(row) } : null
}

async function readJoined(sql: Sql, customerId: string): Promise<CustomerWithSession | null> {
  return joinedFromRow((await sql<JoinedRow>(JOINED_SQL, [customerId]))[0])
}

@Injectable()
export class KycRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** What a frontend may see of the customer's KYC (GET .../kyc/status), or null if unknown. */
  async liveStatus(customerId: string): Promise<KycLiveStatus | null> {
    return readKycLiveStatus(this.prisma.sql.query, customerId)
  }

  /** One indexed read: the customer and its live session. */
  async findWithLiveSession(customerId: string): Promise<CustomerWithSession | null> {
    return readJoined(this.prisma.sql.query, customerId)
  }

  /**
   * The whole warm path of a link request: one indexed read of just the KYC state and the live
   * session (no customer columns the decision does not use).
   */
  async findLinkState(customerId: string): Promise<LinkState | null> {
    const rows = await this.prisma.sql.query<LinkStateRow>(LINK_STATE_SQL, [customerId])
    const r = rows[0]
    if (!r) return null
    return {
      kyc: { status: r.kycStatus, subStatus: r.kycSubStatus },
      redacted: r.redacted,
      // url is NOT NULL in kyc_sessions: null here means no live session (the LEFT JOIN found none).
      session:
        r.s_url === null
          ? null
          : {
              url: r.s_url,
              expiresAt: r.s_expires_at!,
              issuedDuring: { status: r.s_issued_status!, subStatus: r.s_issued_sub_status },
            },
    }
  }

  /**
   * Takes the customer's renewal lease (leases.ts) for `leaseMs`, then reads the customer and its
   * live session, which now include whatever the lease's previous holder recorded, and asks
   * `needsRenewal`. Yes: the lease is the caller's. No: it is ended again. Null when there is no such
   * customer. No transaction around it: each statement commits on its own (two round trips on a cold
   * link against four for BEGIN ... COMMIT); the lease alone makes the renewal exclusive, and one
   * left behind by a failure here runs out like that of a holder that died.
   */
  async claimRenewal(
    customerId: string,
    leaseMs: number,
    needsRenewal: (current: CustomerWithSession) => boolean,
  ): Promise<RenewalClaim | null> {
    const sql = this.prisma.sql.query
    const lease = await takeLease(sql, linkLeaseKey(customerId), leaseMs)
    if (!lease) return { kind: 'busy' }
    const current = await readJoined(sql, customerId)
    if (current && needsRenewal(current)) return { kind: 'claimed', lease, current }
    await endLease(sql, lease)
    return current ? { kind: 'unclaimed', current } : null
  }

  /** Whether another request (on any instance) holds the customer's renewal lease: a waiter's look. */
  async renewalUnderWay(customerId: string): Promise<boolean> {
    const rows = await this.prisma.sql.query(
      `SELECT 1 AS held FROM leases WHERE key = $1 AND expires_at > now()`,
      [linkLeaseKey(customerId)],
    )
    return rows.length > 0
  }

  /**
   * Records a new link in one short transaction, if `lease` is still ours (else null, nothing
   * written): supersedes the live session, inserts the new one (issued during `issuedDuring`), ends
   * the lease, and marks the customer's status read due (sync_due_at: the session-status worker
   * reads what Align reports now, off the request's path, and a crash before it does loses nothing).
   * Returns the new session and the customer's state as recorded now.
   */
  async recordRenewal(
    lease: Lease,
    customerId: string,
    input: NewSession,
  ): Promise<{ session: SessionRecord; kyc: Pick<KycState, 'status' | 'subStatus'> } | 'redacted' | null> {
    return this.prisma.sql.transaction(async (sql) => {
      // The customer's row first (a redaction locks it, then the sessions; the UPDATE waits for it and
      // then sees the row as committed): one redacted while Align answered gets no link stored. In
      // the same statement the lease ends, if still ours, and the customer's status read is marked
      // due (sync_due_at: the session-status worker reads what Align reports now, off the request's
      // path, and a crash before it does loses nothing).
      const [c] = await sql<{ ended: boolean; redacted: boolean; s: KycStatus; ss: KycSubStatus | null }>(
        `WITH ended AS (DELETE FROM leases WHERE key = $2 AND claim_id = $3::uuid RETURNING 1)
         UPDATE customers
            SET sync_due_at = CASE WHEN redacted_at IS NULL AND EXISTS (SELECT 1 FROM ended)
                                   THEN now() ELSE sync_due_at END
          WHERE id = $1::uuid
      RETURNING EXISTS (SELECT 1 FROM ended) AS ended, redacted_at IS NOT NULL AS redacted,
                kyc_status::text AS s, kyc_sub_status::text AS ss`,
        [customerId, lease.key, lease.claimId],
      )
      if (!c?.ended) return null
      if (c.redacted) return 'redacted'
      const session = await replaceLiveSession(sql, customerId, input)
      return { session, kyc: { status: c.s, subStatus: c.ss } }
    })
  }

  /** Gives a renewal lease back (the Align call failed), so the next request need not wait for it. */
  async releaseLease(lease: Lease): Promise<void> {
    await endLease(this.prisma.sql.query, lease)
  }

  /**
   * Claims up to `limit` customers whose status read is due, for `leaseMs`: one statement, FOR
   * UPDATE SKIP LOCKED (instances share the work), moving sync_due_at to the lease's end (a worker
   * that dies gives them back then). The new sync_due_at is the claim's token (see finishDueSync).
   */
  async claimDueSyncs(limit: number, leaseMs: number): Promise<DueSync[]> {
    const rows = await this.prisma.sql.query<{ id: string; align_customer_id: string; token: Date }>(
      `UPDATE customers c SET sync_due_at = now() + $2::int * interval '1 millisecond'
         FROM (SELECT id FROM customers WHERE sync_due_at <= now()
                ORDER BY sync_due_at LIMIT $1::int FOR UPDATE SKIP LOCKED) due
        WHERE c.id = due.id
    RETURNING c.id::text AS id, c.align_customer_id, c.sync_due_at AS token`,
      [limit, Math.ceil(leaseMs)],
    )
    return rows.map((r) => ({ customerId: r.id, alignCustomerId: r.align_customer_id, token: r.token }))
  }

  /**
   * Applies a due read (under the customer's row lock, like every status write) and clears
   * sync_due_at if it is still this claim's: a link recorded meanwhile made it due again, and then
   * it stays due.
   */
  async recordDueReading(due: DueSync, reading: AlignReading): Promise<ApplyDecision> {
    return this.prisma.sql.transaction(async (sql) => {
      const { decision } = await applyReadingLocked(sql, due.customerId, reading)
      await finishDueSync(sql, due, null)
      return decision
    })
  }

  /** Ends a due read without a reading: due again now (`retryNow`: shutdown), or not at all (Align refused it). */
  async endDueSync(due: DueSync, retryNow: boolean): Promise<void> {
    await finishDueSync(this.prisma.sql.query, due, retryNow ? new Date() : null)
  }

  /** Applies an observation in its own transaction; returns the decision and the updated customer. */
  async applyReading(
    customerId: string,
    reading: AlignReading,
  ): Promise<{ decision: ApplyDecision; customer: CustomerRecord }> {
    return this.prisma.sql.transaction((sql) => applyReadingLocked(sql, customerId, reading))
  }

  /**
   * The links issued for a customer, newest first (at most `limit`), with why each was requested and
   * the KYC state it was issued in; null when there is no such customer. The URLs stay out: the live
   * one is in the status view, and a redaction erases them.
   */
  async sessions(customerId: string, limit: number): Promise<IssuedLink[] | null> {
    const rows = await this.prisma.customer.findUnique({
      where: { id: customerId },
      select: {
        sessions: {
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          take: limit,
          select: {
            id: true,
            reason: true,
            issuedStatus: true,
            issuedSubStatus: true,
            createdAt: true,
            expiresAt: true,
            supersededAt: true,
          },
        },
      },
    })
    return rows ? rows.sessions : null
  }

  /** Status view: customer, live session and the whole history (oldest first). */
  async view(customerId: string): Promise<(CustomerWithSession & { history: HistoryRecord[] }) | null> {
    const current = await readJoined(this.prisma.sql.query, customerId)
    if (!current) return null
    const history = await this.prisma.kycStatusHistory.findMany({
      where: { customerId },
      orderBy: [{ occurredAt: 'asc' }, { recordedAt: 'asc' }],
      select: { status: true, subStatus: true, source: true, occurredAt: true, recordedAt: true },
    })
    return { ...current, history }
  }

  /**
   * Claims up to `limit` customers for reconciliation: not approved, not asked about Align since
   * `olderThan`. SKIP LOCKED lets instances share the work; bumping last_synced_at at claim time is
   * the lease (no other instance picks them again before RECONCILE_AFTER has passed).
   */
  async claimStaleCustomers(olderThan: Date, limit: number): Promise<string[]> {
    // One ordered index scan per status that is not approved (the (kyc_status, last_synced_at) index
    // cannot serve `kyc_status <> 'approved'` in last_synced_at order: that was a sequential scan and a
    // sort, 330x slower at 1M customers), then the oldest `limit` of them. The rows locked but not
    // taken are released when this statement commits.
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      UPDATE customers c SET last_synced_at = now()
        FROM (SELECT cand.id
                FROM unnest(ARRAY['not_started', 'pending', 'rejected']::"KycStatus"[]) AS st(status)
                CROSS JOIN LATERAL (
                  SELECT id, last_synced_at FROM customers
                   WHERE kyc_status = st.status AND last_synced_at < ${olderThan}::timestamptz
                   ORDER BY last_synced_at
                   LIMIT ${limit}::int
                   FOR UPDATE SKIP LOCKED) cand
               ORDER BY cand.last_synced_at
               LIMIT ${limit}::int) stale
       WHERE c.id = stale.id
   RETURNING c.id::text AS id`
    return rows.map((r) => r.id)
  }
}

async function finishDueSync(sql: Sql, due: DueSync, next: Date | null): Promise<void> {
  await sql(`UPDATE customers SET sync_due_at = $3 WHERE id = $1::uuid AND sync_due_at = $2`, [
    due.customerId,
    due.token,
    next,
  ])
}

async function replaceLiveSession(sql: Sql, customerId: string, input: NewSession): Promise<SessionRecord> {
  // Two statements, in this order: live_customer_id is unique and checked per row at once, so the
  // old session must be released before the new one takes the slot.
  await sql(
    `UPDATE kyc_sessions SET live_customer_id = NULL, superseded_at = $2 WHERE live_customer_id = $1::uuid`,
    [customerId, input.now],
  )
  const rows = await sql<Omit<JoinedRow, keyof CustomerRow>>(
    `INSERT INTO kyc_sessions
       (id, customer_id, live_customer_id, url, reason, issued_status, issued_sub_status, created_at, expires_at)
     VALUES ($1::uuid, $2::uuid, $2::uuid, $3, $4::"KycSessionReason", $5::"KycStatus", $6::"KycSubStatus", $7, $8)
     RETURNING ${sessionColumns()}`,
    [
      randomUUID(),
      customerId,
      input.url,
      input.reason,
      input.issuedDuring.status,
      input.issuedDuring.subStatus,
      input.now,
      input.expiresAt,
    ],
  )
  return sessionFromRow(rows[0]!)!
}
