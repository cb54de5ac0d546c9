// The virtual-accounts resource against the emulator over real HTTP (create/list/retrieve/simulate,
// what is retried and what is not), the predicate the API answers 409 with, and the tolerant schemas.
import { AlignClient } from './client.js'
import {
  AlignApiError,
  AlignConflictError,
  AlignConnectionError,
  AlignNotFoundError,
  AlignPermissionError,
  AlignServerError,
  AlignTimeoutError,
  AlignValidationError,
  isAlignKycRefusal,
} from './core/errors.js'
import { virtualAccountListResponseSchema, virtualAccountResponseSchema } from './core/schemas.js'
import { AlignEmulator } from './testing/emulator.js'
import {
  ALIGN_VIRTUAL_ACCOUNT_CURRENCIES,
  ALIGN_VIRTUAL_ACCOUNT_NETWORKS,
  ALIGN_VIRTUAL_ACCOUNT_TOKENS,
  depositBeneficiary,
  isIbanDepositInstructions,
  isInternationalWireDepositInstructions,
  isUsDepositInstructions,
  type AlignCreateVirtualAccountParams,
  type AlignVirtualAccount,
} from './types.js'

const KEY = 'sk_test_va_0123456789'
const ADDRESS = '0x742d35Cc6634C0532925a3b844Bc9e7595f0aB42'
const usd: AlignCreateVirtualAccountParams = {
  source_currency: 'usd',
  destination_token: 'usdc',
  destination_network: 'polygon',
  destination_address: ADDRESS,
}

let emulator: AlignEmulator
let client: AlignClient
let customerId: string

beforeAll(async () => {
  emulator = new AlignEmulator({ apiKey: KEY })
  await emulator.start()
})
afterAll(() => emulator.stop())
beforeEach(async () => {
  emulator.reset()
  client = new AlignClient({ apiKey: KEY, baseUrl: emulator.url, retryBaseDelayMs: 1, timeoutMs: 2_000 })
  const customer = await client.customers.create({
    email: 'va@example.com',
    type: 'individual',
    first_name: 'Ada',
    last_name: 'Lovelace',
  })
  customerId = customer.customer_id
  await client.customers.simulateCustomer({ customer_id: customerId, action: 'kyc.status.approve' })
  emulator.resetCalls()
})

describe('virtualAccounts.create', () => {
  it('opens a USD account at once: 201 active with US (ACH + wire) instructions', async () => {
    const account = await client.virtualAccounts.create(customerId, usd)
    expect(account).toMatchObject({
      id: expect.any(String),
      status: 'active',
      source_currency: 'usd',
      destination_token: 'usdc',
      destination_network: 'polygon',
      destination_address: ADDRESS,
    })
    const instructions = account.deposit_instructions
    expect(isUsDepositInstructions(instructions)).toBe(true)
    expect(isIbanDepositInstructions(instructions)).toBe(false)
    if (!isUsDepositInstructions(instructions)) throw new Error('unreachable')
    expect(instructions.payment_rails).toEqual(['ach', 'wire'])
    expect(instructions.us.account_number).toMatch(/^\d{12}$/)
    expect(instructions.us.routing_number).toMatch(/^\d{9}$/)
    expect(depositBeneficiary(instructions).name).toBe('Ada Lovelace')
    expect(emulator.calls()).toEqual({ 'POST /v0/customers/:id/virtual-account': 1 })
  })

  it('opens a EUR account with an IBAN (valid check digits) and sepa', async () => {
    const account = await client.virtualAccounts.create(customerId, { ...usd, source_currency: 'eur' })
    expect(account.status).toBe('active')
    if (!isIbanDepositInstructions(account.deposit_instructions)) throw new Error('expected IBAN')
    const { iban, payment_rails, currency } = account.deposit_instructions
    expect({ payment_rails, currency }).toEqual({ payment_rails: ['sepa'], currency: 'eur' })
    expect(iban.iban_number).toMatch(/^DE\d{20}$/)
    expect(ibanIsValid(iban.iban_number)).toBe(true)
    expect(iban.bic).toMatch(/^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$/)
  })

  it.each([
    ['aed', { ...usd, source_currency: 'aed' }, isIbanDepositInstructions, ['uaefts']],
    ['usd swift', { ...usd, source_rails: 'swift' }, isInternationalWireDepositInstructions, ['swift']],
  ] as const)(
    'opens %s asynchronously: 202 pending without instructions, filled from the request; simulate issues it',
    async (_name, params, guard, rails) => {
      const pending = await client.virtualAccounts.create(customerId, params)
      expect(pending).toMatchObject({
        status: 'pending',
        deposit_instructions: null,
        source_currency: params.source_currency,
        destination_address: ADDRESS,
      })
      expect((await client.virtualAccounts.retrieve(customerId, pending.id)).deposit_instructions).toBeNull()

      const issued = await client.virtualAccounts.simulate(customerId, {
        action: 'issue_pending_virtual_account',
        virtual_account_id: pending.id,
      })
      expect(issued.status).toBe('active')
      expect(guard(issued.deposit_instructions)).toBe(true)
      expect(issued.deposit_instructions?.payment_rails).toEqual(rails)
      const read = await client.virtualAccounts.retrieve(customerId, pending.id)
      expect(read).toEqual(issued)

      const again = client.virtualAccounts.simulate(customerId, {
        action: 'issue_pending_virtual_account',
        virtual_account_id: pending.id,
      })
      await expect(again).rejects.toMatchObject({ status: 400 })
    },
  )

  it('is refused 403 before KYC approval, and isAlignKycRefusal recognises it', async () => {
    const other = await client.customers.create({
      email: 'new@example.com',
      type: 'corporate',
      company_name: 'N',
    })
    const error = await client.virtualAccounts.create(other.customer_id, usd).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AlignPermissionError)
    expect(error).toMatchObject({ status: 403, code: 'kyc_not_approved' })
    expect(isAlignKycRefusal(error)).toBe(true)
    expect(emulator.virtualAccounts(other.customer_id)).toEqual([])
  })

  it('answers 404 for an unknown customer and 409 for identical parameters', async () => {
    await expect(client.virtualAccounts.create('no-such-customer', usd)).rejects.toBeInstanceOf(
      AlignNotFoundError,
    )
    await client.virtualAccounts.create(customerId, usd)
    const dup = await client.virtualAccounts.create(customerId, usd).catch((e: unknown) => e)
    expect(dup).toBeInstanceOf(AlignConflictError)
    expect(isAlignKycRefusal(dup)).toBe(false)
    // A different address is a different account.
    await client.virtualAccounts.create(customerId, {
      ...usd,
      destination_address: `${ADDRESS.slice(0, -1)}0`,
    })
    expect((await client.virtualAccounts.list(customerId)).items).toHaveLength(2)
  })

  it('validates the body before sending anything', async () => {
    const bad = [
      { ...usd, source_currency: 'gbp' },
      { ...usd, destination_network: 'bitcoin' },
      { ...usd, destination_token: 'dai' },
      { ...usd, destination_address: ' ' },
      { ...usd, source_currency: 'eur', source_rails: 'swift' },
    ]
    for (const body of bad) {
      await expect(
        client.virtualAccounts.create(customerId, body as AlignCreateVirtualAccountParams),
      ).rejects.toBeInstanceOf(AlignValidationError)
    }
    await expect(client.virtualAccounts.create('', usd)).rejects.toBeInstanceOf(AlignValidationError)
    expect(emulator.calls()).toEqual({})
  })

  it('encodes path ids', async () => {
    await expect(client.virtualAccounts.retrieve(customerId, '../../x?y')).rejects.toBeInstanceOf(
      AlignNotFoundError,
    )
    expect(emulator.calls()).toEqual({ 'GET /v0/customers/:id/virtual-account/:virtualAccountId': 1 })
  })
})

describe('virtualAccounts retry rules', () => {
  it('retries list and retrieve on 503', async () => {
    const account = await client.virtualAccounts.create(customerId, usd)
    emulator.injectFault({
      route: 'GET /v0/customers/:id/virtual-account',
      kind: '5xx',
      status: 503,
      times: 2,
    })
    emulator.injectFault({
      route: 'GET /v0/customers/:id/virtual-account/:virtualAccountId',
      kind: '5xx',
      status: 503,
      times: 1,
    })
    expect((await client.virtualAccounts.list(customerId)).items.map((a) => a.id)).toEqual([account.id])
    expect((await client.virtualAccounts.retrieve(customerId, account.id)).id).toBe(account.id)
    expect(emulator.calls()).toMatchObject({
      'GET /v0/customers/:id/virtual-account': 3,
      'GET /v0/customers/:id/virtual-account/:virtualAccountId': 2,
    })
  })

  it.each([
    ['succeed-then-500', AlignServerError],
    ['succeed-then-reset', AlignConnectionError],
    ['succeed-then-timeout', AlignTimeoutError],
  ] as const)(
    'does not repeat a create whose outcome is unknown (%s); list finds the account Align opened',
    async (kind, ErrorClass) => {
      emulator.injectFault({ route: 'POST /v0/customers/:id/virtual-account', kind, times: 1 })
      const error = await client.virtualAccounts
        .create(customerId, usd, { timeoutMs: 300 })
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ErrorClass)
      expect(isAlignKycRefusal(error)).toBe(false)
      expect(emulator.calls()['POST /v0/customers/:id/virtual-account']).toBe(1)
      const { items } = await client.virtualAccounts.list(customerId)
      expect(items).toHaveLength(1)
      expect(items[0]).toMatchObject({ status: 'active', destination_address: ADDRESS })
    },
  )

  it('does not repeat a create answered 503', async () => {
    emulator.injectFault({ route: 'POST /v0/customers/:id/virtual-account', kind: '5xx', status: 503 })
    await expect(client.virtualAccounts.create(customerId, usd)).rejects.toBeInstanceOf(AlignServerError)
    expect(emulator.calls()['POST /v0/customers/:id/virtual-account']).toBe(1)
    expect((await client.virtualAccounts.list(customerId)).items).toEqual([])
  })
})

describe('isAlignKycRefusal', () => {
  const apiError = (status: number, body: unknown) => AlignApiError.generate(status, body)
  it.each([
    [
      'the emulator refusal',
      apiError(403, { message: 'KYC is not approved', code: 'kyc_not_approved' }),
      true,
    ],
    ['a 403 whose message names KYC', apiError(403, { message: 'KYC verification required' }), true],
    ['a 403 whose code names KYC', apiError(403, { code: 'KYC_REQUIRED' }), true],
    ['a bare 403', apiError(403, ''), true],
    ['a 400 whose code names KYC', apiError(400, { code: 'customer_kyc_not_approved', message: 'x' }), true],
    ['a 409 whose code names KYC', apiError(409, { code: 'kyc_pending' }), true],
    ['a 403 about something else', apiError(403, { message: 'Not in production', code: 'forbidden' }), false],
    [
      'the duplicate 409',
      apiError(409, { message: 'identical', code: 'virtual_account_already_exists' }),
      false,
    ],
    [
      'a 400 naming KYC in its message only',
      apiError(400, { message: 'kyc', code: 'validation_error' }),
      false,
    ],
    ['a 5xx naming KYC', apiError(500, { code: 'kyc_service_down' }), false],
    ['a plain Error', new Error('kyc'), false],
    ['a string', 'kyc_not_approved', false],
    ['undefined', undefined, false],
  ])('%s', (_label, error, expected) => {
    expect(isAlignKycRefusal(error)).toBe(expected)
  })
})

describe('virtual account schemas', () => {
  it('keeps unknown statuses and extra fields; reads absent instructions as null', () => {
    const parsed: AlignVirtualAccount = virtualAccountResponseSchema.parse({
      id: 'va1',
      status: 'suspended',
      destination_token: 'usdc',
      destination_network: 'polygon',
      destination_address: ADDRESS,
      developer_fee_percent: '0.5',
      nickname: 'main',
    })
    expect(parsed.status).toBe('suspended')
    expect(parsed.deposit_instructions).toBeNull()
    expect(parsed['nickname']).toBe('main')
    expect(parsed.developer_fee_percent).toBe('0.5')
  })

  it('parses each documented instruction shape, with either beneficiary naming, and one rail as a list', () => {
    const base = {
      id: 'v',
      status: 'active',
      destination_token: 'usdc',
      destination_network: 'base',
      destination_address: 'a',
    }
    const iban = virtualAccountResponseSchema.parse({
      ...base,
      deposit_instructions: {
        payment_rails: ['sepa'],
        currency: 'eur',
        bank_name: 'B',
        bank_address: 'A',
        account_holder_name: 'Holder',
        iban: { bic: 'COBADEFFXXX', iban_number: 'DE89370400440532013000' },
      },
    }).deposit_instructions
    expect(isIbanDepositInstructions(iban)).toBe(true)
    expect(iban && depositBeneficiary(iban)).toEqual({ name: 'Holder', address: null })

    const wire = virtualAccountResponseSchema.parse({
      ...base,
      deposit_instructions: {
        payment_rails: 'swift',
        currency: 'usd',
        beneficiary_name: 'Ben',
        beneficiary_address: 'Street 1',
        international_wire: { account_number: '1', routing_number: '2', bic: 'EMULUS33' },
      },
    }).deposit_instructions
    expect(isInternationalWireDepositInstructions(wire)).toBe(true)
    expect(isUsDepositInstructions(wire)).toBe(false)
    expect(wire?.payment_rails).toEqual(['swift'])
    expect(wire && depositBeneficiary(wire)).toEqual({ name: 'Ben', address: 'Street 1' })
  })

  it('rejects what a caller cannot do without: an id, or instructions with no bank details', () => {
    expect(virtualAccountResponseSchema.safeParse({ status: 'active' }).success).toBe(false)
    const noDetails = virtualAccountResponseSchema.safeParse({
      id: 'v',
      status: 'active',
      destination_token: 'usdc',
      destination_network: 'base',
      destination_address: 'a',
      deposit_instructions: { currency: 'usd', bank_name: 'B' },
    })
    expect(noDetails.success).toBe(false)
    expect(virtualAccountListResponseSchema.safeParse({ items: [{}] }).success).toBe(false)
  })

  it('exports the documented literal lists', () => {
    expect(ALIGN_VIRTUAL_ACCOUNT_CURRENCIES).toEqual(['usd', 'eur', 'aed'])
    expect(ALIGN_VIRTUAL_ACCOUNT_TOKENS).toEqual(['usdc', 'usdt'])
    expect(ALIGN_VIRTUAL_ACCOUNT_NETWORKS).toEqual([
      'polygon',
      'ethereum',
      'solana',
      'base',
      'arbitrum',
      'tron',
    ])
    expect(Object.isFrozen(ALIGN_VIRTUAL_ACCOUNT_NETWORKS)).toBe(true)
  })
})

/** ISO 13616 mod-97 check, written independently of the emulator's generator. */
function ibanIsValid(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4)
  let remainder = 0
  for (const ch of rearranged) {
    const value = /[A-Z]/.test(ch) ? String(ch.charCodeAt(0) - 55) : ch
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97
  }
  return remainder === 1
}
