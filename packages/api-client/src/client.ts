import createClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch'
import type { paths } from './generated/schema.js'
import { AlignKycProblemError } from './problem-error.js'

/** A typed openapi-fetch client for every route of the service: `client.GET('/v1/customers/{id}', …)`. */
export type AlignKycClient = Client<paths>

/** How to reach the service. */
export type AlignKycClientOptions = {
  /** The service's origin (and any path prefix a proxy adds), e.g. `http://align-kyc:3000`. */
  baseUrl: string
  /** One of the service's `API_KEYS`: sent as `Authorization: Bearer <token>` on every request. */
  token: string
  /** The fetch to use (default: the global one), e.g. one with a dispatcher, tracing or a timeout. */
  fetch?: ClientOptions['fetch']
  /** Headers sent on every request besides authorization, e.g. an `x-request-id` to correlate logs. */
  headers?: Record<string, string>
}

/**
 * A typed client of the service's REST API. The token is set by a middleware rather than the
 * client's default headers so that no per-request `headers` option can drop it by accident, and it
 * is kept in a closure, out of the client object that a log line might print.
 */
export function createAlignKycClient(options: AlignKycClientOptions): AlignKycClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    fetch: options.fetch,
    headers: options.headers,
  })
  client.use(bearerToken(options.token))
  return client
}

function bearerToken(token: string): Middleware {
  const authorization = `Bearer ${token}`
  return {
    onRequest({ request }) {
      request.headers.set('authorization', authorization)
      return request
    },
  }
}

/** What openapi-fetch resolves with: data on a 2xx answer, the parsed error body otherwise. */
export type ClientResult =
  { data: unknown; error?: never; response: Response } | { data?: never; error: unknown; response: Response }

/** The data of a result's success branch; `undefined` for an answer without content (`204`). */
export type ResultData<R> = R extends { data: infer D; error?: never }
  ? [D] extends [never]
    ? undefined
    : D
  : never

/**
 * The data of a call, or an {@link AlignKycProblemError} thrown with the service's problem details:
 * `const customer = await unwrap(client.GET('/v1/customers/{id}', { params: { path: { id } } }))`.
 * A network failure rejects as fetch does (a `TypeError`), untouched.
 */
export async function unwrap<R extends ClientResult>(result: R | Promise<R>): Promise<ResultData<R>> {
  const { data, error, response } = await result
  if (!response.ok) throw new AlignKycProblemError(response, error)
  return data as ResultData<R>
}
