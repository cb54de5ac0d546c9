import { setTimeout as sleep } from 'node:timers/promises'
import { Inject, Injectable, Logger } from '@nestjs/common'
import {
  AlignConflictError,
  AlignConnectionError,
  AlignResponseError,
  AlignServerError,
  AlignTimeoutError,
  type AlignCreateCustomerParams,
  type AlignCustomer,
} from '@align-kyc/align-client'
import { AlignGateway } from '../align/align.module.js'
import { AppError, type FieldError } from '../common/app-error.js'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import { LEASE_MARGIN_MS, leasePollDelayMs } from '../database/leases.js'
import { readAlignCustomer } from '../kyc-state/kyc-observation.js'
import type { CustomerRecord } from '../kyc-state/customer.record.js'
import { CustomersRepository, type NewCustomer } from './customers.repository.js'
import type { CreateCustomerDto, ListCustomersQueryDto } from './dto/customer.dto.js'
import { decodeCursor, encodeCursor } from '../kyc-state/cursor.js'

export const normalizeEmail = (email: string) => email.trim().toLowerCase()

/** Errors after which Align may or may not have created the customer: look it up before giving up. */
const isUnknownOutcome = (e: unknown) =>
  e instanceof AlignServerError ||
  e instanceof AlignTimeoutError ||
  e instanceof AlignConnectionError ||
  e instanceof AlignResponseError

@Injectable()
export class CustomersService {
  private readonly logger = new Logger(CustomersService.name)
  /**
   * A creation's lease outlives its Align calls: the create and, when its outcome is unknown, up to
   * two look-ups by email, each bounded by ALIGN_TIMEOUT_MS.
   */
  private readonly leaseMs: number

  constructor(
    private readonly customers: CustomersRepository,
    private readonly align: AlignGateway,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.leaseMs = 3 * config.align.timeoutMs + LEASE_MARGIN_MS
  }

  /**
   * Idempotent by email: an existing customer is returned (`created: false`) without calling Align.
   * An email Align already has (409, or an earlier attempt whose answer was lost) is adopted.
   * Exactly once per email across every instance: the creation is claimed with a lease on the
   * normalised email (CustomersRepository.claimCreation), Align is called with nothing held, and the
   * customer is recorded in a short transaction; concurrent requests wait on the lease, then find it.
   */
  async create(dto: CreateCustomerDto): Promise<{ customer: CustomerRecord; created: boolean }> {
    requireNames(dto)
    const emailNormalized = normalizeEmail(dto.email)
    const existing = await this.customers.findByEmail(emailNormalized)
    // Only a redacted customer's placeholder address finds one here: it is nobody's address.
    if (existing?.redactedAt) throw redacted()
    if (existing) return { customer: existing, created: false }
    for (let look = 0; ;) {
      const claim = await this.customers.claimCreation(emailNormalized, this.leaseMs)
      if (claim.kind === 'existing') {
        if (claim.customer.redactedAt) throw redacted()
        return { customer: claim.customer, created: false }
      }
      if (claim.kind === 'busy') {
        await sleep(leasePollDelayMs(look++))
        continue
      }
      let alignCustomer: AlignCustomer
      try {
        alignCustomer = await this.obtainAlignCustomer(dto)
      } catch (e) {
        await this.customers.releaseClaim(claim.lease).catch((e2: unknown) => {
          this.logger.warn(`creation lease not released: ${String(e2)}`) // it runs out on its own
        })
        throw e
      }
      const recorded = await this.customers.recordCreated(
        claim.lease,
        newCustomer(dto, emailNormalized, alignCustomer),
      )
      if (recorded === 'redacted') throw redacted()
      if (recorded) return recorded
      // The lease ran out during Align's calls and another request took over: it records the same
      // Align customer (adopted by email); wait for it.
      this.logger.warn(`creation lease ran out during Align's calls; waiting for the request that took over`)
    }
  }

  /**
   * Erases the customer's personal data (CustomersRepository.redact); the same customer again on a
   * second call, with nothing more changed or emitted. Logged by id only.
   */
  async redact(id: string): Promise<CustomerRecord> {
    const result = await this.customers.redact(id)
    if (!result) throw new AppError('customer_not_found', `No customer with id ${id}.`)
    if (result.changed) this.logger.log(`redacted customer ${id}`)
    return result.customer
  }

  async get(id: string): Promise<CustomerRecord> {
    const customer = await this.customers.findById(id)
    if (!customer) throw new AppError('customer_not_found', `No customer with id ${id}.`)
    return customer
  }

  async list(q: ListCustomersQueryDto): Promise<{ items: CustomerRecord[]; nextCursor: string | null }> {
    const limit = q.limit ?? 20
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor)
    const page = await this.customers.page({
      limit,
      ...(q.email ? { emailNormalized: normalizeEmail(q.email) } : {}),
      ...(q.status ? { status: q.status } : {}),
      ...(q.stuck ? { stuck: true } : {}),
      ...(after ? { after } : {}),
    })
    const last = page.items[page.items.length - 1]
    return { items: page.items, nextCursor: page.hasMore && last ? encodeCursor(last) : null }
  }

  private async obtainAlignCustomer(dto: CreateCustomerDto): Promise<AlignCustomer> {
    const body = {
      email: dto.email,
      type: dto.type,
      ...(dto.firstName ? { first_name: dto.firstName } : {}),
      ...(dto.lastName ? { last_name: dto.lastName } : {}),
      ...(dto.companyName ? { company_name: dto.companyName } : {}),
    } as AlignCreateCustomerParams
    try {
      return await this.align.client.customers.create(body)
    } catch (e) {
      // Align has no idempotency keys: never repeat the POST; find out what happened instead.
      if (!(e instanceof AlignConflictError) && !isUnknownOutcome(e)) throw e
      const found = await this.findInAlign(dto.email).catch(() => null)
      if (found) {
        this.logger.log(
          `adopted Align customer ${found.customer_id} (${e instanceof AlignConflictError ? 'conflict' : 'lost answer'})`,
        )
        return found
      }
      if (e instanceof AlignConflictError) {
        throw new AppError('upstream_error', 'Align reports the email as taken but does not list it.')
      }
      throw e
    }
  }

  private async findInAlign(email: string): Promise<AlignCustomer | null> {
    const wanted = normalizeEmail(email)
    for (const candidate of new Set([email, wanted])) {
      const { items } = await this.align.client.customers.list({ email: candidate })
      const hit = items.find((c) => normalizeEmail(c.email) === wanted)
      if (hit) return hit
    }
    return null
  }
}

function newCustomer(
  dto: CreateCustomerDto,
  emailNormalized: string,
  alignCustomer: AlignCustomer,
): NewCustomer {
  const type: 'individual' | 'corporate' =
    alignCustomer.type === 'corporate' || alignCustomer.type === 'individual'
      ? (alignCustomer.type as 'individual' | 'corporate')
      : dto.type
  return {
    alignCustomerId: alignCustomer.customer_id,
    email: dto.email,
    emailNormalized,
    type,
    firstName: dto.firstName ?? alignCustomer.first_name ?? null,
    lastName: dto.lastName ?? alignCustomer.last_name ?? null,
    companyName: dto.companyName ?? alignCustomer.company_name ?? null,
    reading: readAlignCustomer(alignCustomer, 'sync', new Date()),
  }
}

const redacted = () =>
  new AppError(
    'customer_redacted',
    "This email's customer was redacted: its Align customer cannot be adopted again.",
  )

function requireNames(dto: CreateCustomerDto): void {
  const errors: FieldError[] = []
  if (dto.type === 'individual') {
    if (!dto.firstName)
      errors.push({ field: 'firstName', message: 'firstName is required for individual customers' })
    if (!dto.lastName)
      errors.push({ field: 'lastName', message: 'lastName is required for individual customers' })
  } else if (!dto.companyName) {
    errors.push({ field: 'companyName', message: 'companyName is required for corporate customers' })
  }
  if (errors.length) throw new AppError('validation_failed', 'One or more fields are invalid.', { errors })
}
