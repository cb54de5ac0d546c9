import { createHmac } from 'node:crypto'
import { AlignError, AlignWebhookParseError } from './core/errors.js'
import { parseWebhookEvent, signWebhookBody, verifyWebhookSignature } from './webhooks.js'

const secret = 'whsec-key-1'
const body = JSON.stringify({
  event_type: 'customer.kycs.updated',
  entity_id: 'cus_1',
  entity_type: 'customer',
  created_at: '2025-01-02T03:04:05.000Z',
})
const good = createHmac('sha256', secret).update(body).digest('hex')

describe('signWebhookBody', () => {
  it('is the hex HMAC-SHA256 of the raw body keyed by the secret', () => {
    expect(signWebhookBody(body, secret)).toBe(good)
    expect(signWebhookBody(Buffer.from(body), secret)).toBe(good)
  })
})

describe('verifyWebhookSignature', () => {
  it('accepts a correct signature for string and Buffer bodies', () => {
    expect(verifyWebhookSignature(body, good, secret)).toBe(true)
    expect(verifyWebhookSignature(Buffer.from(body, 'utf8'), good, secret)).toBe(true)
  })

  it('accepts upper-case hex', () => {
    expect(verifyWebhookSignature(body, good.toUpperCase(), secret)).toBe(true)
  })

  it('rejects a tampered body', () => {
    expect(verifyWebhookSignature(body.replace('cus_1', 'cus_2'), good, secret)).toBe(false)
    expect(verifyWebhookSignature(`${body} `, good, secret)).toBe(false)
  })

  it('rejects a signature made with another key', () => {
    expect(verifyWebhookSignature(body, signWebhookBody(body, 'other'), secret)).toBe(false)
  })

  it.each([
    ['empty', ''],
    ['too short', good.slice(0, 62)],
    ['too long', `${good}00`],
    ['odd length', good.slice(0, 63)],
    ['non-hex', `${good.slice(0, 62)}zz`],
    ['base64 of the right digest', Buffer.from(good, 'hex').toString('base64')],
    ['prefixed', `sha256=${good}`],
    ['whitespace padded', ` ${good}`],
  ])('returns false (never throws) for a malformed signature: %s', (_name, signature) => {
    expect(verifyWebhookSignature(body, signature, secret)).toBe(false)
  })

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['number', 42],
    ['array', [good]],
  ])('returns false for a %s signature at runtime', (_name, signature) => {
    expect(verifyWebhookSignature(body, signature as unknown as string, secret)).toBe(false)
  })

  it('returns false for a missing body or secret at runtime', () => {
    expect(verifyWebhookSignature(undefined as unknown as string, good, secret)).toBe(false)
    expect(verifyWebhookSignature(body, good, '')).toBe(false)
    expect(verifyWebhookSignature(body, good, [])).toBe(false)
    expect(verifyWebhookSignature(body, good, undefined as unknown as string)).toBe(false)
  })

  it('supports key rotation: any key of the list may match', () => {
    expect(verifyWebhookSignature(body, good, ['new-key', secret])).toBe(true)
    expect(verifyWebhookSignature(body, good, [secret, 'new-key'])).toBe(true)
    expect(verifyWebhookSignature(body, good, ['new-key', 'older-key'])).toBe(false)
  })
})

describe('parseWebhookEvent', () => {
  it('parses a documented event from a string or Buffer', () => {
    expect(parseWebhookEvent(body)).toEqual(JSON.parse(body))
    expect(parseWebhookEvent(Buffer.from(body)).entity_id).toBe('cus_1')
  })

  it('keeps unknown event types', () => {
    const event = parseWebhookEvent(JSON.stringify({ ...JSON.parse(body), event_type: 'customer.brand_new' }))
    expect(event.event_type).toBe('customer.brand_new')
  })

  it.each([
    ['not JSON', '{"event_type":'],
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
    ['missing event_type', JSON.stringify({ entity_id: 'c', created_at: '2025-01-01T00:00:00Z' })],
    ['missing entity_id', JSON.stringify({ event_type: 'x', created_at: '2025-01-01T00:00:00Z' })],
    [
      'empty entity_id',
      JSON.stringify({ event_type: 'x', entity_id: '', created_at: '2025-01-01T00:00:00Z' }),
    ],
    ['missing created_at', JSON.stringify({ event_type: 'x', entity_id: 'c' })],
    ['invalid created_at', JSON.stringify({ event_type: 'x', entity_id: 'c', created_at: 'yesterday-ish' })],
    [
      'numeric entity_type',
      JSON.stringify({ event_type: 'x', entity_id: 'c', created_at: '2025-01-01T00:00:00Z', entity_type: 1 }),
    ],
  ])('throws AlignWebhookParseError for %s', (_name, raw) => {
    expect(() => parseWebhookEvent(raw)).toThrow(AlignWebhookParseError)
    expect(() => parseWebhookEvent(raw)).toThrow(AlignError)
  })
})
