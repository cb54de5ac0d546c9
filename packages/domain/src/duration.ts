import { DomainError } from './errors.js'

/** Milliseconds per accepted duration unit. */
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

const DURATION = /^(\d+)(ms|s|m|h|d)$/

/** The accepted duration forms, as quoted in error messages. */
export const DURATION_FORMS = 'a whole number followed by ms, s, m, h or d (e.g. 500ms, 30s, 15m, 24h, 7d)'

/**
 * Parses a duration such as `30s`, `15m`, `24h`, `7d` (or `500ms`) into milliseconds. Surrounding
 * whitespace is ignored; `0s` is accepted (callers decide whether zero makes sense).
 *
 * @throws DomainError `invalid_duration`, with a message quoting the input and the accepted forms,
 *   for anything else (no unit, unknown unit, decimals, signs, or a result beyond
 *   `Number.MAX_SAFE_INTEGER` ms).
 */
export function parseDuration(text: string): number {
  const match = typeof text === 'string' ? DURATION.exec(text.trim()) : null
  const ms = match === null ? Number.NaN : Number(match[1]) * (UNIT_MS[match[2] as string] as number)
  if (!Number.isSafeInteger(ms)) {
    throw new DomainError(
      'invalid_duration',
      `Invalid duration "${String(text)}": expected ${DURATION_FORMS}`,
    )
  }
  return ms
}
