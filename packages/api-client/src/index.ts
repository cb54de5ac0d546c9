/**
 * @align-kyc/api-client: a typed client of the Align KYC service's REST API. The types are generated
 * from the service's OpenAPI document (src/generated/schema.ts); calls go through openapi-fetch.
 */
export {
  createAlignKycClient,
  unwrap,
  type AlignKycClient,
  type AlignKycClientOptions,
  type ClientResult,
  type ResultData,
} from './client.js'
export {
  AlignKycProblemError,
  isAlignKycProblem,
  UNEXPECTED_RESPONSE,
  type FieldError,
  type Problem,
  type ProblemCode,
} from './problem-error.js'
export type { components, operations, paths } from './generated/schema.js'

import type { components } from './generated/schema.js'

/** Every schema of the document by name, e.g. `Schemas['CustomerDto']`. */
export type Schemas = components['schemas']
/** A customer as the service answers it. */
export type Customer = Schemas['CustomerDto']
/** A customer's KYC status, history and live session. */
export type KycStatus = Schemas['KycStatusDto']
/** What a customer may do now (the capability gate). */
export type Capabilities = Schemas['CapabilitiesDto']
/** A virtual account with its deposit instructions. */
export type VirtualAccount = Schemas['VirtualAccountDto']
/** One event of the feed (`GET /v1/events`). */
export type Event = Schemas['EventDto']
