// The seed SDK's examples, run against the emulator.
import { AlignClient } from './index.js'
import { AlignEmulator } from './testing/index.js'

let emulator: AlignEmulator
let align: AlignClient

beforeAll(async () => {
  emulator = new AlignEmulator()
  const { url } = await emulator.start()
  align = new AlignClient({ apiKey: emulator.apiKey, environment: 'sandbox', baseUrl: url })
})
afterAll(() => emulator.stop())

it('example: create a customer and a KYC session', async () => {
  const customer = await align.customers.create({
    email: 'alice@example.com',
    type: 'individual',
    first_name: 'Alice',
    last_name: 'Smith',
  })
  const session = await align.customers.createKycSession(customer.customer_id)
  expect(session.kycs.kyc_flow_link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/flow\/[0-9a-f]+$/)
})

it('example: simulateCustomer then get -> kyc_form_submission_accepted', async () => {
  const customer = await align.customers.create({
    email: 'acme@example.com',
    type: 'corporate',
    company_name: 'Acme Ltd',
  })
  await align.customers.simulateCustomer({ action: 'kyc.status.approve', customer_id: customer.customer_id })
  const updated = await align.customers.get(customer.customer_id)
  expect(updated.kycs?.status).toBe('approved')
  expect(updated.kycs?.sub_status).toBe('kyc_form_submission_accepted')
})
