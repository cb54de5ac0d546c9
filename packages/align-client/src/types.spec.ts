// The customer wire types are the schemas' own types (types.ts derives them), so what the client
// parses is the declared type with no cast, and the two cannot drift apart. `npm run lint` type-checks
// this file: the assignments below are the test as much as the expectations.
import { createCustomerSchema, customerResponseSchema, kycSessionResponseSchema } from './core/schemas.js'
import type {
  AlignCreateCustomerParams,
  AlignCustomer,
  AlignKycSession,
  AlignKycStatus,
  Tolerant,
} from './types.js'

describe('customer wire types derived from the schemas', () => {
  it('types a parsed customer as AlignCustomer, keeping extra fields (typed unknown) and new values', () => {
    const customer: AlignCustomer = customerResponseSchema.parse({
      customer_id: 'c1',
      email: 'a@b.co',
      type: 'sole_trader',
      referral_code: 'R1',
      address: { city: 'Lisbon', geo: { lat: 1 } },
      kycs: { status: 'frozen', status_breakdown: [{ currency: 'eur', payment_rails: 'sepa', status: 'x' }] },
    })
    const referral: unknown = customer['referral_code']
    const status: Tolerant<AlignKycStatus> | undefined = customer.kycs?.status
    expect(referral).toBe('R1')
    expect(status).toBe('frozen')
    expect(customer.type).toBe('sole_trader')
    expect(customer.kycs?.sub_status).toBeNull()
    expect(customer.address?.city).toBe('Lisbon')
    expect(customer.address?.['geo']).toEqual({ lat: 1 })
  })

  it('types a KYC session answer as AlignKycSession', () => {
    const session: AlignKycSession = kycSessionResponseSchema.parse({ kycs: { kyc_flow_link: 'https://f' } })
    expect(session.kycs.kyc_flow_link).toBe('https://f')
  })

  it('accepts, and forwards, request fields the schema does not name', () => {
    const body: AlignCreateCustomerParams = {
      email: 'a@b.co',
      type: 'individual',
      first_name: 'Ada',
      last_name: 'Lovelace',
      middle_name: 'King',
    }
    expect(createCustomerSchema.parse(body)).toEqual(body)
  })
})
