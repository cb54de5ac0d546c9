import { isKycStatus, isKycSubStatus, KYC_STATUSES, KYC_SUB_STATUSES, readKycValues } from './kyc-status.js'

describe('KYC value lists', () => {
  it('lists every status and sub_status once, in the union order, and cannot be changed', () => {
    expect(KYC_STATUSES).toEqual(['not_started', 'pending', 'approved', 'rejected'])
    expect(KYC_SUB_STATUSES).toEqual([
      'kyc_form_submission_started',
      'kyc_form_submission_accepted',
      'kyc_form_resubmission_required',
    ])
    expect(Object.isFrozen(KYC_STATUSES)).toBe(true)
    expect(Object.isFrozen(KYC_SUB_STATUSES)).toBe(true)
  })
})

describe('isKycStatus / isKycSubStatus', () => {
  it.each(KYC_STATUSES)('knows status %s', (status) => {
    expect(isKycStatus(status)).toBe(true)
    expect(isKycSubStatus(status)).toBe(false)
  })

  it.each(KYC_SUB_STATUSES)('knows sub_status %s', (subStatus) => {
    expect(isKycSubStatus(subStatus)).toBe(true)
    expect(isKycStatus(subStatus)).toBe(false)
  })

  it.each([null, undefined, 1, {}, 'APPROVED', 'approved ', '', 'manual_review'])('rejects %p', (value) => {
    expect(isKycStatus(value)).toBe(false)
    expect(isKycSubStatus(value)).toBe(false)
  })
})

describe('readKycValues', () => {
  it('reads known values, with a null sub_status being known', () => {
    expect(readKycValues('pending', null)).toEqual({ known: true, status: 'pending', subStatus: null })
    expect(readKycValues('rejected', 'kyc_form_resubmission_required')).toEqual({
      known: true,
      status: 'rejected',
      subStatus: 'kyc_form_resubmission_required',
    })
  })

  it('keeps unknown values verbatim, field by field, without throwing', () => {
    expect(readKycValues('manual_review', null)).toEqual({
      known: false,
      unknown: [{ field: 'status', value: 'manual_review' }],
    })
    expect(readKycValues('pending', 'video_call')).toEqual({
      known: false,
      unknown: [{ field: 'subStatus', value: 'video_call' }],
    })
    expect(readKycValues('frozen', 'video_call')).toEqual({
      known: false,
      unknown: [
        { field: 'status', value: 'frozen' },
        { field: 'subStatus', value: 'video_call' },
      ],
    })
  })
})
