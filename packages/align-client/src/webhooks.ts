/**
 * Webhook signatures and parsing.
 *
 * Align signs each webhook with `x-hmac-signature`: the hex HMAC-SHA256 of the raw request body,
 * keyed by the API key. There is no event id and no timestamp in the signature, so a captured
 * request can be replayed: receivers should treat events as hints and re-read the entity.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { AlignWebhookParseError } from './core/errors.js'
import type { AlignWebhookEvent } from './types.js'

/** Name of the header carrying the signature (lower-case, as Node exposes it). */
export const ALIGN_SIGNATURE_HEADER = 'x-hmac-signature'

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/

/** Hex HMAC-SHA256 of `rawBody` keyed by `secret` — what Align puts in `x-hmac-signature`. */
export function signWebhookBody(rawBody: string | Buffer, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex')
}

/**
 * Checks `signature` against the raw body, in constant time.
 *
 * @param rawBody the exact bytes received (not re-serialised JSON)
 * @param signature the `x-hmac-signature` header value
 * @param secret the API key, or a list of keys during a rotation (any match passes)
 * @returns true when valid; false for any malformed input (non-hex, wrong length, empty,
 *   missing), never a throw
 */
export function verifyWebhookSignature(
  rawBody: string | Buffer,
  signature: string,
  secret: string | string[],
): boolean {
  if (typeof rawBody !== 'string' && !Buffer.isBuffer(rawBody)) return false
  if (typeof signature !== 'string' || !HEX_SHA256.test(signature)) return false
  const secrets = (Array.isArray(secret) ? secret : [secret]).filter(
    (s): s is string => typeof s === 'string' && s.length > 0,
  )
  if (secrets.length === 0) return false
  const given = Buffer.from(signature, 'hex')
  let valid = false
  // Compare against every key (no early exit) so timing does not reveal which key matched.
  for (const key of secrets) {
    const expected = createHmac('sha256', key).update(rawBody).digest()
    if (timingSafeEqual(expected, given)) valid = true
  }
  return valid
}

/**
 * Parses a webhook body. Unknown `event_type` values are accepted and kept; a body that is not a
 * JSON object, or lacks a non-empty `event_type` / `entity_id` or a `created_at` that parses as a
 * date, throws `AlignWebhookParseError`. Verify the signature first.
 */
export function parseWebhookEvent(rawBody: string | Buffer): AlignWebhookEvent {
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.isBuffer(rawBody) ? rawBody.toString('utf8') : String(rawBody))
  } catch {
    throw new AlignWebhookParseError('Webhook body is not JSON')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AlignWebhookParseError('Webhook body is not a JSON object')
  }
  const body = parsed as Record<string, unknown>
  for (const field of ['event_type', 'entity_id', 'created_at'] as const) {
    if (typeof body[field] !== 'string' || (body[field] as string).trim() === '') {
      throw new AlignWebhookParseError(`Webhook body lacks a non-empty string ${field}`)
    }
  }
  if (Number.isNaN(Date.parse(body['created_at'] as string))) {
    throw new AlignWebhookParseError('Webhook created_at is not a valid date')
  }
  if (body['entity_type'] !== undefined && typeof body['entity_type'] !== 'string') {
    throw new AlignWebhookParseError('Webhook entity_type is not a string')
  }
  return body as AlignWebhookEvent
}
