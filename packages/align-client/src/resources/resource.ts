import type { z } from 'zod'
import { AlignResponseError, AlignValidationError } from '../core/errors.js'
import { idSchema, toIssues } from '../core/schemas.js'
import type { ApiResponse, Transport } from '../core/transport.js'

/** Internal base of every resource: request validation and tolerant response parsing. */
export abstract class ApiResource {
  readonly #transport: Transport

  constructor(transport: Transport) {
    this.#transport = transport
  }

  /** Internal: the transport shared with the client. */
  protected get transport(): Transport {
    return this.#transport
  }

  /** Validates input before anything is sent; throws `AlignValidationError`. */
  protected validate<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
    const result = schema.safeParse(input)
    if (result.success) return result.data
    const errors = toIssues(result.error)
    throw new AlignValidationError(
      `Invalid ${what}: ${errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ')}`,
      errors,
    )
  }

  /** Validates a path id and returns it encoded for the URL. */
  protected pathId(id: unknown, what: string): string {
    return encodeURIComponent(this.validate(idSchema, id, what))
  }

  /** Parses a 2xx body tolerantly; a missing required field is an `AlignResponseError` with the raw text. */
  protected parse<S extends z.ZodType>(schema: S, response: ApiResponse, context: string): z.output<S> {
    const result = schema.safeParse(response.data)
    if (result.success) return result.data
    const issues = toIssues(result.error)
    throw new AlignResponseError(
      `${context}: Align answered ${response.status} with an unexpected shape (${issues
        .map((i) => `${i.path || '(body)'}: ${i.message}`)
        .join('; ')})`,
      response.status,
      response.rawBody,
      response.requestId,
      issues,
    )
  }
}
