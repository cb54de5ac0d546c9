import { sha256 } from '@noble/hashes/sha2.js'
import { createBase58check } from '@scure/base'
import { type DestinationNetwork, validateDestinationAddress } from './destination-address.js'

const EVM = ['polygon', 'ethereum', 'base', 'arbitrum'] as const
const ALL: DestinationNetwork[] = [...EVM, 'solana', 'tron']

/** The test vectors of EIP-55 itself (https://eips.ethereum.org/EIPS/eip-55). */
const EIP55_MIXED = [
  '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
  '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
  '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
  '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
]
const EIP55_ALL_CAPS = [
  '0x52908400098527886E0F7030069857D2E4169EE7',
  '0x8617E340B3D01FA5F11F306F4090FD50E238070D',
]
const EIP55_ALL_LOWER = [
  '0xde709f2102306220921060314715629080e2fb77',
  '0x27b1fdb04752bbc536007a920d24acb045561c26',
]
/** USDC on Ethereum, as Etherscan prints it (checksummed). */
const USDC_ETHEREUM = '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48'

/** The USDC mint, the SPL token program and the system program (32 zero bytes). */
const SOLANA = [
  'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v',
  'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA',
  '11111111111111111111111111111111',
]
/** The USDT contract on Tron and the Tron zero address. */
const TRON = ['TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', 'T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb']

/** `text` with the character at `index` replaced by `by`. */
const swap = (text: string, index: number, by: string) => text.slice(0, index) + by + text.slice(index + 1)
const tronCheck = createBase58check(sha256)

describe('validateDestinationAddress: EVM networks', () => {
  describe.each(EVM)('%s', (network) => {
    it.each([...EIP55_MIXED, ...EIP55_ALL_CAPS, ...EIP55_ALL_LOWER, USDC_ETHEREUM])(
      'accepts %s, normalised to lower case',
      (address) => {
        expect(validateDestinationAddress(network, address)).toEqual({
          ok: true,
          normalized: address.toLowerCase(),
        })
      },
    )

    it('normalises every casing of one address to one value', () => {
      const [mixed] = EIP55_MIXED as [string]
      const forms = [mixed, mixed.toLowerCase(), `0x${mixed.slice(2).toUpperCase()}`]
      const normalized = forms.map((form) => validateDestinationAddress(network, form))
      expect(normalized).toEqual(forms.map(() => ({ ok: true, normalized: mixed.toLowerCase() })))
    })

    it.each([
      // Still 40 hex digits in mixed case, but no longer the checksum.
      ['the last letter flipped', swap(EIP55_MIXED[0]!, 41, 'D')],
      ['the first letter flipped', EIP55_MIXED[0]!.replace('0x5a', '0x5A')],
      ['one letter of an all-caps address lowered', EIP55_ALL_CAPS[0]!.replace('E', 'e')],
      ['one digit changed, casing kept', swap(USDC_ETHEREUM, 7, '8')],
    ])('refuses a mixed-case address whose checksum does not match: %s', (_name, address) => {
      expect(validateDestinationAddress(network, address)).toEqual({
        ok: false,
        message: `not a valid EVM address for ${network}: checksum does not match (mixed case must follow EIP-55)`,
      })
    })

    it.each([
      ['no 0x prefix', EIP55_ALL_LOWER[0]!.slice(2)],
      ['39 hex digits', EIP55_ALL_LOWER[0]!.slice(0, -1)],
      ['41 hex digits', `${EIP55_ALL_LOWER[0]!}0`],
      ['a non-hex character', swap(EIP55_ALL_LOWER[0]!, 5, 'g')],
      ['an upper-case 0X prefix', `0X${EIP55_ALL_LOWER[0]!.slice(2)}`],
      ['just 0x', '0x'],
      ['a Tron address', TRON[0]!],
      ['a Solana address', SOLANA[0]!],
    ])('refuses %s', (_name, address) => {
      expect(validateDestinationAddress(network, address)).toEqual({
        ok: false,
        message: `not a valid EVM address for ${network}: expected 0x followed by 40 hexadecimal digits`,
      })
    })
  })
})

describe('validateDestinationAddress: solana', () => {
  it.each(SOLANA)('accepts %s as given', (address) => {
    expect(validateDestinationAddress('solana', address)).toEqual({ ok: true, normalized: address })
  })

  it.each([
    ['a character outside base58 (0)', swap(SOLANA[0]!, 5, '0'), 'not base58'],
    ['a character outside base58 (l)', swap(SOLANA[0]!, 5, 'l'), 'not base58'],
    ['an EVM address', USDC_ETHEREUM, 'not base58'],
    ['two characters short', SOLANA[0]!.slice(0, -2), 'decodes to 31 bytes, expected 32'],
    ['one character more', `${SOLANA[0]!}1`, 'decodes to 33 bytes, expected 32'],
    ['a Tron address (25 bytes)', TRON[0]!, 'decodes to 25 bytes, expected 32'],
    ['33 zero bytes', '1'.repeat(33), 'decodes to 33 bytes, expected 32'],
  ])('refuses %s', (_name, address, problem) => {
    expect(validateDestinationAddress('solana', address)).toEqual({
      ok: false,
      message: `not a valid Solana address: ${problem}`,
    })
  })

  // Solana addresses carry no checksum: a 43-character prefix of a 44-character key still decodes to
  // 32 bytes and is accepted. Only the alphabet and the length can be checked.
  it('cannot see a dropped character that leaves 32 bytes (no checksum)', () => {
    expect(validateDestinationAddress('solana', SOLANA[0]!.slice(0, -1)).ok).toBe(true)
  })

  it('is case-sensitive: the USDC mint in lower case is no key (so nothing is lower-cased)', () => {
    expect(validateDestinationAddress('solana', SOLANA[0]!.toLowerCase())).toEqual({
      ok: false,
      message: 'not a valid Solana address: decodes to 33 bytes, expected 32',
    })
  })
})

describe('validateDestinationAddress: tron', () => {
  it.each(TRON)('accepts %s as given', (address) => {
    expect(validateDestinationAddress('tron', address)).toEqual({ ok: true, normalized: address })
  })

  const payload = tronCheck.decode(TRON[0]!)
  const withPrefix = (prefix: number) => tronCheck.encode(Uint8Array.from([prefix, ...payload.slice(1)]))

  it.each([
    ['the last character changed', swap(TRON[0]!, 33, 'T'), 'checksum does not match'],
    ['a middle character changed', swap(TRON[0]!, 10, 'R'), 'checksum does not match'],
    ['one character short', TRON[0]!.slice(0, -1), 'checksum does not match'],
    ['a character outside base58', swap(TRON[0]!, 3, 'O'), 'not base58'],
    ['an EVM address', USDC_ETHEREUM, 'not base58'],
    ['a Solana address', SOLANA[0]!, 'decodes to 32 bytes, expected 25 (21 and a 4-byte checksum)'],
    [
      'two characters short',
      TRON[0]!.slice(0, -2),
      'decodes to 24 bytes, expected 25 (21 and a 4-byte checksum)',
    ],
    ['a valid checksum over prefix 0x42', withPrefix(0x42), 'starts with byte 0x42, expected 0x41'],
    ['a valid checksum over prefix 0xa0 (testnet)', withPrefix(0xa0), 'starts with byte 0xa0, expected 0x41'],
    [
      'a Bitcoin address (prefix 0x00)',
      '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa',
      'starts with byte 0x00, expected 0x41',
    ],
  ])('refuses %s', (_name, address, problem) => {
    expect(validateDestinationAddress('tron', address)).toEqual({
      ok: false,
      message: `not a valid Tron address: ${problem}`,
    })
  })

  it('the 0x41 variant it refuses differently is exactly the accepted one', () => {
    expect(withPrefix(0x41)).toBe(TRON[0])
  })
})

describe('validateDestinationAddress: input that is no address at all', () => {
  const label = (network: DestinationNetwork) =>
    network === 'solana'
      ? 'Solana address'
      : network === 'tron'
        ? 'Tron address'
        : `EVM address for ${network}`
  const valid: Record<DestinationNetwork, string> = {
    polygon: USDC_ETHEREUM,
    ethereum: USDC_ETHEREUM,
    base: USDC_ETHEREUM,
    arbitrum: USDC_ETHEREUM,
    solana: SOLANA[0]!,
    tron: TRON[0]!,
  }

  describe.each(ALL)('%s', (network) => {
    it.each([
      ['empty', '', 'must not be empty'],
      ['a leading space', ` ${valid[network]}`, 'must not contain whitespace'],
      ['a trailing newline', `${valid[network]}\n`, 'must not contain whitespace'],
      ['an inner tab', swap(valid[network], 4, '\t'), 'must not contain whitespace'],
      ['only spaces', '   ', 'must not contain whitespace'],
      ['65 characters', '1'.repeat(65), 'is 65 characters long, too long'],
      ['10 000 characters', 'z'.repeat(10_000), 'is 10000 characters long, too long'],
    ])('refuses %s', (_name, address, problem) => {
      expect(validateDestinationAddress(network, address)).toEqual({
        ok: false,
        message: `not a valid ${label(network)}: ${problem}`,
      })
    })

    it.each([undefined, null, 42, { address: valid[network] }, [valid[network]]])(
      'refuses the non-string %j',
      (value) => {
        expect(validateDestinationAddress(network, value as unknown as string)).toEqual({
          ok: false,
          message: `not a valid ${label(network)}: must be a string`,
        })
      },
    )
  })

  it.each(['bitcoin', 'toString', '__proto__', ''])('refuses the unknown network %j', (network) => {
    expect(validateDestinationAddress(network as DestinationNetwork, USDC_ETHEREUM)).toEqual({
      ok: false,
      message: `unknown destination network ${JSON.stringify(network)}`,
    })
  })
})
