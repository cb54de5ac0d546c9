/**
 * Machine-readable codes of {@link DomainError}. Stable: apps map them to HTTP problem details.
 *
 * - `invalid_duration`: a duration text (e.g. `KYC_LINK_TTL`) is not one of the accepted forms
 *   (`500ms`, `30s`, `15m`, `24h`, `7d`).
 * - `invalid_link_policy`: a link policy is inconsistent (TTL not positive, margin negative, or the
 *   margin is not shorter than the TTL).
 * - `invalid_date`: a time passed to a domain function is an invalid `Date` (`NaN` time). Always a
 *   programming error in the caller, never a property of Align's data.
 */
export type DomainErrorCode = 'invalid_duration' | 'invalid_link_policy' | 'invalid_date'

/**
 * The one error type the domain throws. Only ever thrown for invalid *inputs from the caller*
 * (configuration, dates); Align's data never makes the domain throw (unknown values are ignored with a
 * reason instead).
 */
export class DomainError extends Error {
  /** Which rule was broken; see {@link DomainErrorCode}. */
  readonly code: DomainErrorCode

  constructor(code: DomainErrorCode, message: string) {
    super(message)
    this.name = 'DomainError'
    this.code = code
  }
}

/** Throws `invalid_date` when `value` is not a valid Date; `what` names it in the message. */
export function assertValidDate(value: Date, what: string): void {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new DomainError('invalid_date', `${what} must be a valid Date, got ${String(value)}`)
  }
}
