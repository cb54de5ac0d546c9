import { AppError } from '../common/app-error.js'

/*
 * The feed's cursor: opaque to consumers, base64url of "p<position>". Position 0 is "before
 * everything"; positions are assigned by the relay and only ever grow (event_feed keeps the last one
 * even when retention has deleted every event).
 */

export function encodeFeedCursor(position: string): string {
  return Buffer.from(`p${position}`).toString('base64url')
}

/**
 * The position in a cursor this API returned; 400 validation_failed naming `field` (the feed's
 * `after`, the deliveries list's `cursor`) otherwise.
 */
export function decodeFeedCursor(cursor: string, field = 'after'): string {
  const m = /^p(0|[1-9]\d{0,17})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (!m || encodeFeedCursor(m[1]!) !== cursor) {
    throw new AppError('validation_failed', 'The cursor is not one this API returned.', {
      errors: [{ field, message: `${field} must be a nextCursor value from a previous answer` }],
    })
  }
  return m[1]!
}
