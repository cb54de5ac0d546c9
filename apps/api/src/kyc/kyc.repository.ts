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
import { PrismaService } from '../database/prisma.service.js'
import type { Sql } from '../database/sql.js'
import {
  CUSTOMER_SQL_COLUMNS,
  customerFromSqlRow,
  type CustomerRecord,
  type CustomerSqlRow,
} from '../customers/customer.record.js'
import type { AlignReading } from './kyc-observation.js'
import { applyReadingIfUnchanged, applyReadingLocked, type WriteOptions } from './kyc-state.store.js'

/** The live KYC link of a customer. */
export type SessionRecord = {
  id: string
  url: string
  reason: RenewReason
  createdAt: Date
  expiresAt: Date
  issuedDuring: { status: KycStatus; subStatus: KycSubStatus | null }
}

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
  session: Pick<SessionRecord, 'url' | 'expiresAt' | 'issuedDuring'> | null
}

type LinkStateRow = Pick<
  JoinedRow,
  'kyc_status' | 'kyc_sub_status' | 's_url' | 's_expires_at' | 's_issued_status' | 's_issued_sub_status'
>

/** Operations available while a customer's row is locked (see KycRepository.withCustomerLock). */
export type LockedCustomer = {
  /** The customer and its live session as read when the lock was taken. */
  readonly current: CustomerWithSession
  /** Supersedes the live session (if any) and records a new one, issued during the current state. */
  replaceLiveSession(input: {
    url: string
    reason: RenewReason
    expiresAt: Date
    now: Date
  }): Promise<SessionRecord>
}

/** A customer row joined with its live session (s_* columns null when there is none). */
type JoinedRow = CustomerSqlRow & {
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

function sessionFromRow(r: Omit<JoinedRow, keyof CustomerSqlRow>): SessionRecord | null {
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
 * Locks the customer's row and reads it with its live session, in one statement: the session comes
 * from kyc_live_session() (migration 20261127151500), which runs after the lock is granted (LATERAL
 * on the locked row) and with a fresh snapshot, so it sees what the lock's previous holder committed.
 */
const LOCKED_READ_SQL = `
  WITH c AS MATERIALIZED (SELECT * FROM customers WHERE id = $1::uuid FOR UPDATE)
  SELECT ${CUSTOMER_SQL_COLUMNS},
         ${sessionColumns('s.')}
    FROM c LEFT JOIN LATERAL kyc_live_session(c.id) s ON true`

/**
 * Only what a link decision and a reused link's answer need (the warm path): six columns, one of them
 * a timestamp. Each column more costs the pg client a field description, a parser and a value per
 * request (and each timestamp a Date); the full session is read under the lock when a link is made.
 */
const LINK_STATE_SQL = `
  SELECT c.kyc_status::text AS kyc_status, c.kyc_sub_status::text AS kyc_sub_status,
         s.url AS s_url, s.expires_at AS s_expires_at,
         s.issued_status::text AS s_issued_status, s.issued_sub_status::text AS s_issued_sub_status
    FROM customers c LEFT JOIN kyc_sessions s ON s.live_customer_id = c.id
   WHERE c.id = $1::uuid`

function joinedFromRow(row: JoinedRow | undefined): CustomerWithSession | null {
  return row ? { customer: customerFromSqlRow(row), session: sessionFromRow(row) } : null
}

async function readJoined(sql: Sql, customerId: string): Promise<CustomerWithSession | null> {
  return joinedFromRow((await sql<JoinedRow>(JOINED_SQL, [customerId]))[0])
}

@Injectable()
export class KycRepository {
  constructor(private readonly prisma: PrismaService) {}

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
      kyc: { status: r.kyc_status, subStatus: r.kyc_sub_status },
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
   * Runs `fn` while holding the customer's row lock (SELECT ... FOR UPDATE), in one transaction:
   * concurrent link requests for one customer, on any number of instances, queue here, and each
   * sees what the one before it recorded. Returns null (without calling `fn`) if the customer is gone.
   */
  async withCustomerLock<T>(
    customerId: string,
    fn: (locked: LockedCustomer) => Promise<T>,
  ): Promise<T | null> {
    return this.prisma.sql.transaction(async (sql) => {
      const current = joinedFromRow((await sql<JoinedRow>(LOCKED_READ_SQL, [customerId]))[0])
      if (!current) return null
      return fn({
        current,
        replaceLiveSession: (input) =>
          replaceLiveSession(sql, customerId, current.customer.kyc, current.session !== null, input),
      })
    })
  }

  /**
   * Applies an observation in one autocommitted statement if the customer's state is still
   * `expected`; null if it changed meanwhile (see applyReadingIfUnchanged, and WriteOptions for
   * `commit`).
   */
  async applyReadingIfUnchanged(
    customerId: string,
    reading: AlignReading,
    expected: KycState,
    options: WriteOptions = {},
  ): Promise<{ decision: ApplyDecision; customer: CustomerRecord } | null> {
    return applyReadingIfUnchanged(this.prisma.sql.query, customerId, reading, expected, options)
  }

  /** Applies an observation in its own transaction; returns the decision and the updated customer. */
  async applyReading(
    customerId: string,
    reading: AlignReading,
  ): Promise<{ decision: ApplyDecision; customer: CustomerRecord }> {
    return this.prisma.sql.transaction((sql) => applyReadingLocked(sql, customerId, reading))
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
}

async function replaceLiveSession(
  sql: Sql,
  customerId: string,
  issuedDuring: { status: KycStatus; subStatus: KycSubStatus | null },
  hasLiveSession: boolean,
  input: { url: string; reason: RenewReason; expiresAt: Date; now: Date },
): Promise<SessionRecord> {
  // Two statements, in this order: live_customer_id is unique and checked per row at once, so the
  // old session must be released before the new one takes the slot. (The caller holds the row lock
  // and has just read whether there is a live session: none, nothing to release.)
  if (hasLiveSession)
    await sql(
      `UPDATE kyc_sessions SET live_customer_id = NULL, superseded_at = $2 WHERE live_customer_id = $1::uuid`,
      [customerId, input.now],
    )
  const rows = await sql<Omit<JoinedRow, keyof CustomerSqlRow>>(
    `INSERT INTO kyc_sessions
       (id, customer_id, live_customer_id, url, reason, issued_status, issued_sub_status, created_at, expires_at)
     VALUES ($1::uuid, $2::uuid, $2::uuid, $3, $4::"KycSessionReason", $5::"KycStatus", $6::"KycSubStatus", $7, $8)
     RETURNING ${sessionColumns()}`,
    [
      randomUUID(),
      customerId,
      input.url,
      input.reason,
      issuedDuring.status,
      issuedDuring.subStatus,
      input.now,
      input.expiresAt,
    ],
  )
  return sessionFromRow(rows[0]!)!
}
