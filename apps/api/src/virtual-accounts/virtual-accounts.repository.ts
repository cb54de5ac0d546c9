import { randomUUID } from 'node:crypto'
import { Injectable } from '@nestjs/common'
import { PrismaService } from '../database/prisma.service.js'
import { endLease, takeLease, type Lease } from '../database/leases.js'
import type { Sql } from '../database/sql.js'
import type { AlignReading } from '../kyc-state/kyc-observation.js'
import { applyReadingLocked } from '../kyc-state/kyc-state.store.js'
import {
  CUSTOMER_SQL_COLUMNS,
  toCustomerRecord,
  type CustomerRecord,
  type CustomerRow,
} from '../kyc-state/customer.record.js'
import { appendEvent } from '../events/outbox.js'
import { toVirtualAccountDto } from './dto/virtual-account.dto.js'
import type { DepositInstructions, VirtualAccountParams } from './virtual-account.params.js'

/** A virtual account Align has (a recorded row), as the service layer sees it. */
export type VirtualAccountRecord = {
  id: string
  alignVirtualAccountId: string
  customerId: string
  status: 'pending' | 'active'
  sourceCurrency: string
  sourceRails: string | null
  destinationToken: string
  destinationNetwork: string
  destinationAddress: string
  depositInstructions: DepositInstructions | null
  createdAt: Date
  updatedAt: Date
}

/** What Align says about one of its accounts, ready to be written. */
export type AlignAccountState = {
  alignVirtualAccountId: string
  status: 'pending' | 'active'
  /** Align's status as seen (a value this service does not know is kept here, `status` stays pending) */
  alignStatus: string
  depositInstructions: DepositInstructions | null
}

/** A create not yet answered: the request row, written before Align is called. */
export type PendingRequest = { requestId: string; params: VirtualAccountParams }

export type CreateClaim =
  /** The lease is ours: call Align (after listing first when `recover`), then `record` or `drop`. */
  | { kind: 'claimed'; lease: Lease; request: PendingRequest; recover: boolean }
  /** Align's account for these parameters is recorded already. */
  | { kind: 'existing'; account: VirtualAccountRecord }
  /** Another request holds the lease: wait and claim again. */
  | { kind: 'busy' }

type AccountRow = {
  id: string
  align_id: string | null
  customer_id: string
  status: 'pending' | 'active'
  source_currency: string
  source_rails: string | null
  destination_token: string
  destination_network: string
  destination_address: string
  deposit_instructions: DepositInstructions | null
  outcome_unknown_at: Date | null
  params_key: string
  created_at: Date
  updated_at: Date
}

/** A request row's columns (requestRow gives the values). */
const REQUEST_COLUMNS = `(id, customer_id, params_key, source_currency, source_rails, destination_token,
  destination_network, destination_address)`

/** The columns of an AccountRow; `v` is the table's alias in every statement. */
const COLUMNS = `v.id::text AS id, v.align_virtual_account_id AS align_id, v.customer_id::text AS customer_id,
  v.status::text AS status, v.source_currency, v.source_rails, v.destination_token, v.destination_network,
  v.destination_address, v.deposit_instructions, v.outcome_unknown_at, v.params_key, v.created_at, v.updated_at`

/**
 * Virtual accounts in plain SQL (database/sql.ts): short transactions only, and a lease
 * (database/leases.ts) per customer and parameter set around Align's create, so concurrent identical
 * requests on any number of instances make one Align call and nothing is held while Align answers.
 */
/**
 * Align's deposit instructions ($5) as this service keeps them: for a redacted customer without the
 * beneficiary's name and address (Align still sends them; the redaction erased them for good). `v`
 * is the account row being written.
 */
const KEPT_INSTRUCTIONS = `(CASE WHEN $5::jsonb IS NOT NULL AND jsonb_typeof($5::jsonb) = 'object'
        AND (SELECT cr.redacted_at FROM customers cr WHERE cr.id = v.customer_id) IS NOT NULL
      THEN $5::jsonb || '{"beneficiaryName": null, "beneficiaryAddress": null}'::jsonb ELSE $5::jsonb END)`

/**
 * Locks the account row first, in its own statement: a redaction holds it until it commits, and
 * the next statement's snapshot then sees the customer as redacted (KEPT_INSTRUCTIONS). With a
 * lease, ends it in the same statement (if still this claim's), saving a round trip.
 */
async function lockAccount(sql: Sql, accountId: string, lease: Lease | null = null): Promise<void> {
  if (!lease) {
    await sql('SELECT 1 FROM virtual_accounts WHERE id = $1::uuid FOR UPDATE', [accountId])
    return
  }
  await sql(
    `WITH ended AS (DELETE FROM leases WHERE key = $2 AND claim_id = $3::uuid)
     SELECT 1 FROM virtual_accounts WHERE id = $1::uuid FOR UPDATE`,
    [accountId, lease.key, lease.claimId],
  )
}

@Injectable()
export class VirtualAccountsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async findCustomer(customerId: string): Promise<CustomerRecord | null> {
    const rows = await this.prisma.sql.query<CustomerRow>(
      `SELECT ${CUSTOMER_SQL_COLUMNS} FROM customers c WHERE c.id = $1::uuid`,
      [customerId],
    )
    return rows[0] ? toCustomerRecord(rows[0]) : null
  }

  /** The customer's recorded accounts, newest first (requests are not accounts yet and not listed). */
  async list(customerId: string): Promise<VirtualAccountRecord[]> {
    const rows = await this.prisma.sql.query<AccountRow>(
      `SELECT ${COLUMNS} FROM virtual_accounts v
        WHERE v.customer_id = $1::uuid AND v.align_virtual_account_id IS NOT NULL
        ORDER BY v.created_at DESC, v.id DESC`,
      [customerId],
    )
    return rows.map(toRecord)
  }

  async get(customerId: string, accountId: string): Promise<VirtualAccountRecord | null> {
    const rows = await this.prisma.sql.query<AccountRow>(
      `SELECT ${COLUMNS} FROM virtual_accounts v
        WHERE v.id = $1::uuid AND v.customer_id = $2::uuid AND v.align_virtual_account_id IS NOT NULL`,
      [accountId, customerId],
    )
    return rows[0] ? toRecord(rows[0]) : null
  }

  /** The recorded account with this Align id, and its customer's Align id. */
  async findByAlignId(
    alignVirtualAccountId: string,
  ): Promise<{ account: VirtualAccountRecord; alignCustomerId: string } | null> {
    const rows = await this.prisma.sql.query<AccountRow & { align_customer_id: string }>(
      `SELECT ${COLUMNS}, c.align_customer_id
         FROM virtual_accounts v JOIN customers c ON c.id = v.customer_id
        WHERE v.align_virtual_account_id = $1`,
      [alignVirtualAccountId],
    )
    const row = rows[0]
    return row ? { account: toRecord(row), alignCustomerId: row.align_customer_id } : null
  }

  /**
   * Takes the lease on (customer, parameter set) and reads the row. A recorded account is returned
   * as `existing` (lease ended again, or never taken); a free lease with no row writes the request
   * row (`recover: false`: nothing was asked of Align yet); a free lease over a request row left by
   * an earlier claim means that claim may have reached Align (unknown outcome, a crash, a lease that
   * ran out), so `recover: true`: list before creating.
   */
  async claimCreate(params: VirtualAccountParams, leaseMs: number): Promise<CreateClaim> {
    const fast = await this.claimNew(params, leaseMs)
    if (fast) return fast
    return this.prisma.sql.transaction(async (sql) => {
      const lease = await takeLease(sql, leaseKey(params), leaseMs)
      return lease ? this.withLease(sql, params, lease) : ({ kind: 'busy' } as const)
    })
  }

  /**
   * The common case in one statement (its own transaction: one round trip instead of four): a free
   * lease is taken and, for a new parameter set, the request row written with it. Null when the
   * lease is held or ran out (the transaction in claimCreate takes that over, or waits).
   * Committed asynchronously, as takeLease's claims are, for the reasons given there.
   */
  private async claimNew(params: VirtualAccountParams, leaseMs: number): Promise<CreateClaim | null> {
    const requestId = randomUUID()
    const [row] = await this.prisma.sql.query<{ claim_id: string | null; inserted: boolean }>(
      `WITH l AS (
         INSERT INTO leases (key, claim_id, expires_at)
         SELECT $1, $2::uuid, now() + $3::int * interval '1 millisecond'
           FROM (SELECT set_config('synchronous_commit', 'off', true)) async_commit
         ON CONFLICT (key) DO NOTHING
         RETURNING claim_id
       ), r AS (
         INSERT INTO virtual_accounts ${REQUEST_COLUMNS}
         SELECT $4::uuid, $5::uuid, $6, $7, $8, $9, $10, $11 FROM l
         ON CONFLICT (customer_id, params_key) DO NOTHING
         RETURNING 1
       )
       SELECT (SELECT claim_id::text FROM l) AS claim_id, EXISTS (SELECT 1 FROM r) AS inserted`,
      [leaseKey(params), randomUUID(), Math.ceil(leaseMs), ...requestRow(requestId, params)],
    )
    if (!row?.claim_id) return null
    const lease = { key: leaseKey(params), claimId: row.claim_id }
    if (row.inserted) return { kind: 'claimed', lease, request: { requestId, params }, recover: false }
    // The lease is ours but the row exists: an account recorded already, or a request to recover.
    return this.withLease(this.prisma.sql.query, params, lease)
  }

  /** Holding the lease over an existing row (or none): what the claim amounts to. */
  private async withLease(sql: Sql, params: VirtualAccountParams, lease: Lease): Promise<CreateClaim> {
    const rows = await sql<AccountRow>(
      `SELECT ${COLUMNS} FROM virtual_accounts v WHERE v.customer_id = $1::uuid AND v.params_key = $2`,
      [params.customerId, params.paramsKey],
    )
    const row = rows[0]
    if (row?.align_id) {
      await endLease(sql, lease)
      return { kind: 'existing', account: toRecord(row) }
    }
    if (!row) {
      // The transaction's lease over no row: write the request, as claimNew does.
      const requestId = randomUUID()
      const inserted = await sql(
        `INSERT INTO virtual_accounts ${REQUEST_COLUMNS}
         VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (customer_id, params_key) DO NOTHING
         RETURNING 1 AS inserted`,
        requestRow(requestId, params),
      )
      if (inserted.length) return { kind: 'claimed', lease, request: { requestId, params }, recover: false }
      await endLease(sql, lease)
      return { kind: 'busy' }
    }
    return { kind: 'claimed', lease, request: { requestId: row.id, params }, recover: true }
  }

  /**
   * Records Align's account on a request row and ends the lease (when one is given and still ours).
   * Recorded whether or not the lease is still ours: the account exists at Align either way, and
   * whoever took the lease over lists first and finds the same account (the update is idempotent).
   * Returns the account as stored: `created` false when the row already held it (another path, such
   * as the webhook or a recovery, recorded it first).
   */
  async record(
    requestId: string,
    state: AlignAccountState,
    lease: Lease | null,
  ): Promise<{ account: VirtualAccountRecord; created: boolean } | null> {
    return this.prisma.sql.transaction(async (sql) => {
      await lockAccount(sql, requestId, lease)
      const updated = await sql<AccountRow>(
        `UPDATE virtual_accounts v
            SET align_virtual_account_id = $2, status = $3::"VirtualAccountStatus", align_status = $4,
                deposit_instructions = ${KEPT_INSTRUCTIONS}, outcome_unknown_at = NULL, updated_at = now()
          WHERE v.id = $1::uuid AND v.align_virtual_account_id IS NULL
            AND NOT EXISTS (SELECT 1 FROM virtual_accounts o WHERE o.align_virtual_account_id = $2)
      RETURNING ${COLUMNS}`,
        [requestId, ...stateParams(state)],
      )
      if (updated[0]) {
        const account = toRecord(updated[0])
        await appendEvent(sql, {
          type: 'virtual_account.created',
          customerId: account.customerId,
          data: toVirtualAccountDto(account),
        })
        return { account, created: true }
      }
      const rows = await sql<AccountRow>(
        `SELECT ${COLUMNS} FROM virtual_accounts v WHERE v.id = $1::uuid AND v.align_virtual_account_id IS NOT NULL`,
        [requestId],
      )
      return rows[0] ? { account: toRecord(rows[0]), created: false } : null
    })
  }

  /**
   * Align refused the create for certain (a 4xx): the request row goes, unless an earlier attempt's
   * outcome is unknown (that one may still have created the account: the row stays to be recovered).
   */
  async drop(request: PendingRequest, lease: Lease): Promise<void> {
    await this.prisma.sql.transaction(async (sql) => {
      await sql(
        `DELETE FROM virtual_accounts
          WHERE id = $1::uuid AND align_virtual_account_id IS NULL AND outcome_unknown_at IS NULL`,
        [request.requestId],
      )
      await endLease(sql, lease)
    })
  }

  /** Marks a request whose create may or may not have reached Align: the next claim lists first. */
  async markUnknown(request: PendingRequest): Promise<void> {
    await this.prisma.sql.query(
      `UPDATE virtual_accounts SET outcome_unknown_at = now(), updated_at = now()
        WHERE id = $1::uuid AND align_virtual_account_id IS NULL`,
      [request.requestId],
    )
  }

  /** Gives the lease back, so the next request need not wait for it to run out. */
  async release(lease: Lease): Promise<void> {
    await endLease(this.prisma.sql.query, lease)
  }

  /** The Align ids of the customer's recorded accounts (recovery skips them when matching). */
  async recordedAlignIds(customerId: string): Promise<Set<string>> {
    const rows = await this.prisma.sql.query<{ align_id: string }>(
      `SELECT align_virtual_account_id AS align_id FROM virtual_accounts
        WHERE customer_id = $1::uuid AND align_virtual_account_id IS NOT NULL`,
      [customerId],
    )
    return new Set(rows.map((r) => r.align_id))
  }

  /**
   * Customers with requests not yet answered, oldest request first, with those requests: where a
   * `virtual_account.created` webhook for an account this service has not recorded is looked for.
   */
  async pendingRequests(
    customerLimit: number,
  ): Promise<{ customerId: string; alignCustomerId: string; requests: PendingRequest[] }[]> {
    const rows = await this.prisma.sql.query<AccountRow & { align_customer_id: string }>(
      `SELECT v.id::text AS id, v.customer_id::text AS customer_id, v.params_key, v.source_currency,
              v.source_rails, v.destination_token, v.destination_network, v.destination_address,
              c.align_customer_id
         FROM virtual_accounts v JOIN customers c ON c.id = v.customer_id
        WHERE v.customer_id IN (SELECT customer_id FROM virtual_accounts
                                 WHERE align_virtual_account_id IS NULL
                                 GROUP BY customer_id ORDER BY min(created_at) LIMIT $1::int)
          AND v.align_virtual_account_id IS NULL
        ORDER BY v.created_at`,
      [customerLimit],
    )
    const byCustomer = new Map<
      string,
      { customerId: string; alignCustomerId: string; requests: PendingRequest[] }
    >()
    for (const r of rows) {
      const group = byCustomer.get(r.customer_id) ?? {
        customerId: r.customer_id,
        alignCustomerId: r.align_customer_id,
        requests: [],
      }
      group.requests.push({ requestId: r.id, params: toParams(r) })
      byCustomer.set(r.customer_id, group)
    }
    return [...byCustomer.values()]
  }

  /**
   * Writes what Align now says about a recorded account, in one short transaction; returns it as
   * stored. A change (status, Align's status or the instructions) emits `virtual_account.updated`;
   * reading the same again changes nothing and emits nothing.
   */
  async refresh(accountId: string, state: AlignAccountState): Promise<VirtualAccountRecord | null> {
    return this.prisma.sql.transaction(async (sql) => {
      await lockAccount(sql, accountId)
      const rows = await sql<AccountRow>(
        `WITH old AS (SELECT id, status, align_status, deposit_instructions FROM virtual_accounts
                       WHERE id = $1::uuid AND align_virtual_account_id = $2 FOR UPDATE)
         UPDATE virtual_accounts v
            SET status = $3::"VirtualAccountStatus", align_status = $4, deposit_instructions = ${KEPT_INSTRUCTIONS},
                updated_at = now()
           FROM old
          WHERE v.id = old.id
            AND (old.status IS DISTINCT FROM $3::"VirtualAccountStatus"
                 OR old.align_status IS DISTINCT FROM $4
                 OR old.deposit_instructions IS DISTINCT FROM ${KEPT_INSTRUCTIONS})
      RETURNING ${COLUMNS}`,
        [accountId, ...stateParams(state)],
      )
      if (rows[0]) {
        const account = toRecord(rows[0])
        await appendEvent(sql, {
          type: 'virtual_account.updated',
          customerId: account.customerId,
          data: toVirtualAccountDto(account),
        })
        return account
      }
      const same = await sql<AccountRow>(
        `SELECT ${COLUMNS} FROM virtual_accounts v WHERE v.id = $1::uuid AND v.align_virtual_account_id = $2`,
        [accountId, state.alignVirtualAccountId],
      )
      return same[0] ? toRecord(same[0]) : null
    })
  }

  /** Applies a fresh Align reading of the customer (Align refused a create for KYC reasons). */
  async applyReading(customerId: string, reading: AlignReading): Promise<CustomerRecord> {
    return this.prisma.sql.transaction(async (sql: Sql) => {
      const { customer } = await applyReadingLocked(sql, customerId, reading)
      return customer
    })
  }
}

/** A request row's values, in REQUEST_COLUMNS' order. */
function requestRow(requestId: string, p: VirtualAccountParams): unknown[] {
  return [
    requestId,
    p.customerId,
    p.paramsKey,
    p.sourceCurrency,
    p.sourceRails,
    p.destinationToken,
    p.destinationNetwork,
    p.destinationAddress,
  ]
}

const leaseKey = (p: VirtualAccountParams) => `virtual-account:${p.customerId}:${p.paramsKey}`

function stateParams(s: AlignAccountState): unknown[] {
  return [
    s.alignVirtualAccountId,
    s.status,
    s.alignStatus,
    s.depositInstructions === null ? null : JSON.stringify(s.depositInstructions),
  ]
}

function toParams(r: Pick<AccountRow, keyof AccountRow>): VirtualAccountParams {
  return {
    customerId: r.customer_id,
    paramsKey: r.params_key,
    sourceCurrency: r.source_currency as VirtualAccountParams['sourceCurrency'],
    sourceRails: r.source_rails as VirtualAccountParams['sourceRails'],
    destinationToken: r.destination_token as VirtualAccountParams['destinationToken'],
    destinationNetwork: r.destination_network as VirtualAccountParams['destinationNetwork'],
    destinationAddress: r.destination_address,
  }
}

function toRecord(r: AccountRow): VirtualAccountRecord {
  if (!r.align_id) throw new Error(`virtual account ${r.id} is a request, not an account`)
  return {
    id: r.id,
    alignVirtualAccountId: r.align_id,
    customerId: r.customer_id,
    status: r.status,
    sourceCurrency: r.source_currency,
    sourceRails: r.source_rails,
    destinationToken: r.destination_token,
    destinationNetwork: r.destination_network,
    destinationAddress: r.destination_address,
    depositInstructions: r.deposit_instructions,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}
