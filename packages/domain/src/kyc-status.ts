/**
 * Align's KYC status of a customer.
 *
 * - `not_started`: the customer exists at Align but has not submitted a KYC form.
 * - `pending`: a KYC submission is being reviewed.
 * - `approved`: KYC passed. Terminal: nothing moves a customer out of it.
 * - `rejected`: KYC failed; usually with sub_status `kyc_form_resubmission_required`, after which the
 *   customer may submit again (back to `pending`).
 */
export type KycStatus = 'not_started' | 'pending' | 'approved' | 'rejected'

/**
 * Align's KYC sub_status, a finer step inside a status (or `null` when Align sends none).
 *
 * - `kyc_form_submission_started`: the customer opened the KYC form.
 * - `kyc_form_submission_accepted`: the submission was received and is complete.
 * - `kyc_form_resubmission_required`: the customer must submit the form again.
 */
export type KycSubStatus =
  'kyc_form_submission_started' | 'kyc_form_submission_accepted' | 'kyc_form_resubmission_required'

/** Every known {@link KycStatus}, in the order of the union. */
export const KYC_STATUSES: readonly KycStatus[] = Object.freeze([
  'not_started',
  'pending',
  'approved',
  'rejected',
] as const)

/** Every known {@link KycSubStatus}, in the order of the union. */
export const KYC_SUB_STATUSES: readonly KycSubStatus[] = Object.freeze([
  'kyc_form_submission_started',
  'kyc_form_submission_accepted',
  'kyc_form_resubmission_required',
] as const)

/** True when `v` is one of the {@link KYC_STATUSES} (exact, case-sensitive: Align sends lower case). */
export function isKycStatus(v: unknown): v is KycStatus {
  return (KYC_STATUSES as readonly unknown[]).includes(v)
}

/** True when `v` is one of the {@link KYC_SUB_STATUSES} (exact, case-sensitive). `null` is not. */
export function isKycSubStatus(v: unknown): v is KycSubStatus {
  return (KYC_SUB_STATUSES as readonly unknown[]).includes(v)
}

/**
 * A status or sub_status value Align sent that this version does not know (Align may add values
 * later). It is kept exactly as seen so the caller can store and log it; it never changes a
 * customer's state and never grants a capability.
 */
export type UnknownKycValue = {
  /** Which field carried the value. */
  field: 'status' | 'subStatus'
  /** The raw value, verbatim. */
  value: string
}

/**
 * The result of reading Align's raw `(status, sub_status)` pair: either both values are known, or
 * the list of values that are not.
 */
export type KycValueReading =
  | { known: true; status: KycStatus; subStatus: KycSubStatus | null }
  | { known: false; unknown: UnknownKycValue[] }

/**
 * Reads Align's raw `(status, sub_status)` strings without ever throwing. A `null` sub_status is a
 * known value (Align sends none); any string outside the unions comes back as an
 * {@link UnknownKycValue}.
 */
export function readKycValues(status: string, subStatus: string | null): KycValueReading {
  const unknown: UnknownKycValue[] = []
  if (!isKycStatus(status)) unknown.push({ field: 'status', value: status })
  if (subStatus !== null && !isKycSubStatus(subStatus)) unknown.push({ field: 'subStatus', value: subStatus })
  if (unknown.length > 0) return { known: false, unknown }
  return { known: true, status: status as KycStatus, subStatus: subStatus as KycSubStatus | null }
}
