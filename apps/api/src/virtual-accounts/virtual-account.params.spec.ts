import type { AlignVirtualAccount } from '@align-kyc/align-client'
import { accountState, matchesParams, toParams } from './virtual-account.params.js'

const EVM = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'
const params = toParams({
  customerId: 'c1',
  sourceCurrency: 'usd',
  sourceRails: null,
  destinationToken: 'usdc',
  destinationNetwork: 'polygon',
  destinationAddress: EVM,
})
const account = (over: Partial<AlignVirtualAccount> = {}): AlignVirtualAccount =>
  ({
    id: 'va1',
    status: 'active',
    destination_token: 'usdc',
    destination_network: 'polygon',
    destination_address: EVM.toLowerCase(),
    deposit_instructions: {
      currency: 'usd',
      payment_rails: ['ach', 'wire'],
      bank_name: 'B',
      bank_address: 'A',
      us: { account_number: '1', routing_number: '2' },
    },
    ...over,
  }) as AlignVirtualAccount

describe('virtual-account parameters', () => {
  it('keys an EVM address case-insensitively, a base58 one exactly', () => {
    expect(toParams({ ...params, destinationAddress: EVM.toLowerCase() }).paramsKey).toBe(params.paramsKey)
    const sol = {
      ...params,
      destinationNetwork: 'solana' as const,
      destinationAddress: 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v',
    }
    expect(toParams(sol).paramsKey).not.toBe(
      toParams({ ...sol, destinationAddress: sol.destinationAddress.toLowerCase() }).paramsKey,
    )
  })

  it.each([
    ['the same parameters (address in another casing)', {}, true],
    ['another token', { destination_token: 'usdt' }, false],
    ['another network', { destination_network: 'base' }, false],
    ['another address', { destination_address: '0x0000000000000000000000000000000000000001' }, false],
    [
      'another currency (from the instructions)',
      {
        deposit_instructions: {
          currency: 'eur',
          payment_rails: ['sepa'],
          iban: { bic: 'X', iban_number: 'DE1' },
        },
      },
      false,
    ],
    ['a swift account for a plain usd request', { source_rails: 'swift' }, false],
    [
      'swift read from the instructions',
      {
        deposit_instructions: {
          currency: 'usd',
          payment_rails: ['swift'],
          international_wire: { account_number: '1', routing_number: null, bic: 'B' },
        },
      },
      false,
    ],
    [
      'a pending account with no instructions (currency unknown: does not decide)',
      { status: 'pending', deposit_instructions: null },
      true,
    ],
    ['source_currency when Align sends it', { source_currency: 'aed' }, false],
  ] as [string, Partial<AlignVirtualAccount>, boolean][])('matches %s: %s', (_what, over, expected) => {
    expect(matchesParams(account(over), params)).toBe(expected)
  })

  it('reads Align status: only active is active, anything else pending and kept as seen', () => {
    expect(accountState(account()).status).toBe('active')
    expect(accountState(account({ status: 'frozen' as never }))).toMatchObject({
      status: 'pending',
      alignStatus: 'frozen',
    })
    expect(accountState(account()).depositInstructions).toEqual({
      currency: 'usd',
      paymentRails: ['ach', 'wire'],
      bankName: 'B',
      bankAddress: 'A',
      beneficiaryName: null,
      beneficiaryAddress: null,
      us: { accountNumber: '1', routingNumber: '2' },
    })
    expect(accountState(account({ deposit_instructions: null })).depositInstructions).toBeNull()
  })
})
