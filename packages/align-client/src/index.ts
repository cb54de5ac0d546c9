export { AlignClient, type AlignClientOptions } from './client.js'
export {
  AlignAbortError,
  AlignApiError,
  AlignAuthenticationError,
  AlignBadRequestError,
  AlignConflictError,
  AlignConnectionError,
  AlignError,
  AlignNotFoundError,
  AlignPermissionError,
  AlignRateLimitError,
  AlignResponseError,
  AlignServerError,
  AlignTimeoutError,
  AlignUnprocessableEntityError,
  AlignValidationError,
  AlignWebhookParseError,
  isAlignKycRefusal,
} from './core/errors.js'
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './core/retry.js'
export type { AlignLogger } from './core/transport.js'
export { CustomersResource } from './resources/customers.js'
export { VirtualAccountsResource } from './resources/virtual-accounts.js'
export { WebhooksResource } from './resources/webhooks.js'
export {
  ALIGN_SIGNATURE_HEADER,
  parseWebhookEvent,
  signWebhookBody,
  verifyWebhookSignature,
} from './webhooks.js'
export * from './types.js'
