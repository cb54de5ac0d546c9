import {
  createVirtualAccountSchema,
  simulateVirtualAccountSchema,
  virtualAccountListResponseSchema,
  virtualAccountResponseSchema,
} from '../core/schemas.js'
import type { ApiResponse } from '../core/transport.js'
import type {
  AlignCreateVirtualAccountParams,
  AlignList,
  AlignRequestOptions,
  AlignSimulateVirtualAccountParams,
  AlignVirtualAccount,
} from '../types.js'
import { ApiResource } from './resource.js'

/** The request fields an answer to a create may leave out (Align's 202 body is only `{id, status}`). */
const ECHOED_FIELDS = [
  'source_currency',
  'source_rails',
  'destination_token',
  'destination_network',
  'destination_address',
] as const

/**
 * `/v0/customers/{customer_id}/virtual-account`: open, list and read a customer's virtual accounts
 * (bank details whose deposits Align converts to a stablecoin), and issue a pending one (sandbox).
 * Align opens one only for a customer whose KYC is approved (see `isAlignKycRefusal`).
 */
export class VirtualAccountsResource extends ApiResource {
  /**
   * `POST /v0/customers/{id}/virtual-account`. USD (no rails) and EUR accounts answer `201` `active`
   * with deposit instructions; AED and USD SWIFT accounts answer `202` `pending` with
   * `deposit_instructions: null` (read them later with `retrieve` or `list`). Fields the answer
   * leaves out (Align's 202 body is only `{id, status}`) are filled from `body`, so the result always
   * names its source and destination.
   *
   * Not retried on an unknown outcome (5xx, reset, timeout): Align may have opened the account.
   * Recover by `list(customerId)` and matching the parameters before creating again; Align answers
   * `409` (`AlignConflictError`) to a second account with identical parameters. KYC not approved:
   * an `AlignPermissionError` (403) for which `isAlignKycRefusal` is true; unknown customer:
   * `AlignNotFoundError`.
   */
  async create(
    customerId: string,
    body: AlignCreateVirtualAccountParams,
    options?: AlignRequestOptions,
  ): Promise<AlignVirtualAccount> {
    const path = `/v0/customers/${this.pathId(customerId, 'customer id')}/virtual-account`
    const data = this.validate(createVirtualAccountSchema, body, 'virtual account')
    const response = await this.transport.request({ method: 'POST', path, body: data }, options)
    return this.parse(virtualAccountResponseSchema, withRequestFields(response, data), `POST ${path}`)
  }

  /** `GET /v0/customers/{id}/virtual-account`: every account of the customer. Retried on 408/429/5xx, resets and attempt timeouts. */
  async list(customerId: string, options?: AlignRequestOptions): Promise<AlignList<AlignVirtualAccount>> {
    const path = `/v0/customers/${this.pathId(customerId, 'customer id')}/virtual-account`
    const response = await this.transport.request({ method: 'GET', path }, options)
    return this.parse(virtualAccountListResponseSchema, response, `GET ${path}`)
  }

  /** `GET /v0/customers/{id}/virtual-account/{virtual_account_id}`. Retried like `list`; unknown: `AlignNotFoundError`. */
  async retrieve(
    customerId: string,
    virtualAccountId: string,
    options?: AlignRequestOptions,
  ): Promise<AlignVirtualAccount> {
    const path =
      `/v0/customers/${this.pathId(customerId, 'customer id')}` +
      `/virtual-account/${this.pathId(virtualAccountId, 'virtual account id')}`
    const response = await this.transport.request({ method: 'GET', path }, options)
    return this.parse(virtualAccountResponseSchema, response, `GET ${path}`)
  }

  /**
   * `POST /v0/customers/{id}/virtual-account/simulate` (sandbox only), e.g. `{ action:
   * 'issue_pending_virtual_account', virtual_account_id }`: a pending account becomes `active` with
   * deposit instructions, and is returned. An account that is already active is a `400`. Not retried
   * on an unknown outcome; `retrieve` tells whether it took effect.
   */
  async simulate(
    customerId: string,
    body: AlignSimulateVirtualAccountParams,
    options?: AlignRequestOptions,
  ): Promise<AlignVirtualAccount> {
    const path = `/v0/customers/${this.pathId(customerId, 'customer id')}/virtual-account/simulate`
    const data = this.validate(simulateVirtualAccountSchema, body, 'simulation')
    const response = await this.transport.request({ method: 'POST', path, body: data }, options)
    return this.parse(virtualAccountResponseSchema, response, `POST ${path}`)
  }
}

/** The answer with the request's fields filled in where it has none (an object answer only). */
function withRequestFields(response: ApiResponse, sent: Record<string, unknown>): ApiResponse {
  const data = response.data
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return response
  const filled: Record<string, unknown> = { ...(data as Record<string, unknown>) }
  for (const field of ECHOED_FIELDS) {
    if (filled[field] === undefined && sent[field] !== undefined) filled[field] = sent[field]
  }
  return { ...response, data: filled }
}
