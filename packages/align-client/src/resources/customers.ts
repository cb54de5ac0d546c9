import {
  anyObjectResponseSchema,
  createCustomerSchema,
  customerListResponseSchema,
  customerResponseSchema,
  kycSessionResponseSchema,
  listCustomersSchema,
  simulateCustomerSchema,
  updateCustomerSchema,
} from '../core/schemas.js'
import type {
  AlignCreateCustomerParams,
  AlignCustomer,
  AlignKycSession,
  AlignList,
  AlignListCustomersParams,
  AlignRequestOptions,
  AlignSimulateCustomerParams,
  AlignSimulateCustomerResponse,
  AlignUpdateCustomerParams,
  AlignUpdateCustomerResponse,
} from '../types.js'
import { ApiResource } from './resource.js'

/** `/v0/customers`: create, read, list and update customers, start KYC, simulate (sandbox). */
export class CustomersResource extends ApiResource {
  /**
   * `POST /v0/customers`. Not retried on an unknown outcome (5xx, reset, timeout): on such an error,
   * look the customer up with `list({ email })` before creating again. A duplicate email is an
   * `AlignConflictError` (409).
   */
  async create(body: AlignCreateCustomerParams, options?: AlignRequestOptions): Promise<AlignCustomer> {
    const data = this.validate(createCustomerSchema, body, 'customer')
    const path = '/v0/customers'
    const response = await this.transport.request({ method: 'POST', path, body: data }, options)
    return this.parse(customerResponseSchema, response, `POST ${path}`)
  }

  /** `GET /v0/customers/{id}`. Retried on 408/429/5xx, resets and attempt timeouts. */
  async get(customerId: string, options?: AlignRequestOptions): Promise<AlignCustomer> {
    const path = `/v0/customers/${this.pathId(customerId, 'customer id')}`
    const response = await this.transport.request({ method: 'GET', path }, options)
    return this.parse(customerResponseSchema, response, `GET ${path}`)
  }

  /** `GET /v0/customers?email=`: customers, optionally filtered by email. Retried like `get`. */
  async list(
    params: AlignListCustomersParams = {},
    options?: AlignRequestOptions,
  ): Promise<AlignList<AlignCustomer>> {
    const query = this.validate(listCustomersSchema, params, 'list parameters')
    const path = '/v0/customers'
    const response = await this.transport.request(
      { method: 'GET', path, query: { email: query.email } },
      options,
    )
    return this.parse(customerListResponseSchema, response, `GET ${path}`)
  }

  /**
   * `PUT /v0/customers/{id}`: attach documents. Align answers `{}` (an empty body is read as `{}`);
   * read the customer back with `get` for its state. Idempotent, so retried like `get`.
   */
  async update(
    customerId: string,
    body: AlignUpdateCustomerParams,
    options?: AlignRequestOptions,
  ): Promise<AlignUpdateCustomerResponse> {
    const path = `/v0/customers/${this.pathId(customerId, 'customer id')}`
    const data = this.validate(updateCustomerSchema, body, 'customer update')
    const response = await this.transport.request({ method: 'PUT', path, body: data }, options)
    if (response.data === undefined) return {}
    return this.parse(anyObjectResponseSchema, response, `PUT ${path}`)
  }

  /**
   * `POST /v0/customers/{id}/kycs`: creates a hosted KYC flow link. Links expire after a time Align
   * does not document. Not retried on an unknown outcome; calling again simply yields a new link.
   */
  async createKycSession(customerId: string, options?: AlignRequestOptions): Promise<AlignKycSession> {
    const path = `/v0/customers/${this.pathId(customerId, 'customer id')}/kycs`
    const response = await this.transport.request({ method: 'POST', path }, options)
    return this.parse(kycSessionResponseSchema, response, `POST ${path}`)
  }

  /** `POST /v0/customers/simulate` (sandbox only), e.g. `{ action: 'kyc.status.approve', customer_id }`. */
  async simulateCustomer(
    body: AlignSimulateCustomerParams,
    options?: AlignRequestOptions,
  ): Promise<AlignSimulateCustomerResponse> {
    const data = this.validate(simulateCustomerSchema, body, 'simulation')
    const path = '/v0/customers/simulate'
    const response = await this.transport.request({ method: 'POST', path, body: data }, options)
    if (response.data === undefined) return {}
    return this.parse(anyObjectResponseSchema, response, `POST ${path}`)
  }
}
