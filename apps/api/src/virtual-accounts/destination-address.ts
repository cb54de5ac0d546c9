import { sha256 } from '@noble/hashes/sha2.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import { base58, createBase58check } from '@scure/base'

/** The networks a virtual account can deliver stablecoins to (the contract's `destinationNetwork`). */
export type DestinationNetwork = 'polygon' | 'ethereum' | 'base' | 'arbitrum' | 'solana' | 'tron'

/**
 * The outcome of {@link validateDestinationAddress}: the address in the form to store and compare, or
 * a message for a `400 validation_failed` naming the network and what is wrong.
 */
export type DestinationAddressCheck = { ok: true; normalized: string } | { ok: false; message: string }

const EVM_SHAPE = /^0x[0-9a-fA-F]{40}$/
/**
 * No valid address on these networks is longer (EVM 42, Solana 44, Tron 34 characters). The cap
 * comes before decoding because base58 decoding is quadratic in the input's length.
 */
const MAX_LENGTH = 64
/** Tron's mainnet address prefix: the first payload byte, the reason every address starts with `T`. */
const TRON_PREFIX = 0x41
const tronBase58check = createBase58check(sha256)

/**
 * Checks that `address` can receive funds on `network`, before any Align call, so that a mistyped
 * address is a `400` rather than lost funds or an Align error.
 *
 * - EVM (`polygon`, `ethereum`, `base`, `arbitrum`): `0x` and 40 hex digits. All lower- or all
 *   upper-case hex carries no checksum and is accepted; mixed case is an EIP-55 checksum and must
 *   match it. `normalized` is lower-case, so one address in two casings is one parameter set.
 * - `solana`: base58 decoding to exactly 32 bytes (an ed25519 public key or a program address).
 *   `normalized` is the input (base58 is case-sensitive).
 * - `tron`: base58check (4-byte double-SHA-256 checksum) of 21 bytes starting with `0x41`.
 *   `normalized` is the input.
 *
 * Nothing is trimmed: surrounding whitespace is refused, as is anything that is not a string (the
 * function may be reached with unparsed input).
 */
export function validateDestinationAddress(
  network: DestinationNetwork,
  address: string,
): DestinationAddressCheck {
  if (!Object.hasOwn(CHECKS, network))
    return { ok: false, message: `unknown destination network ${JSON.stringify(network)}` }
  if (typeof address !== 'string') return fail(network, 'must be a string')
  if (address.length === 0) return fail(network, 'must not be empty')
  if (/\s/.test(address)) return fail(network, 'must not contain whitespace')
  if (address.length > MAX_LENGTH) return fail(network, `is ${address.length} characters long, too long`)
  return CHECKS[network](network, address)
}

function fail(network: string, problem: string): DestinationAddressCheck {
  return { ok: false, message: `not a valid ${kind(network)}: ${problem}` }
}

function kind(network: string): string {
  if (network === 'solana') return 'Solana address'
  if (network === 'tron') return 'Tron address'
  return `EVM address for ${network}`
}

function checkEvm(network: string, address: string): DestinationAddressCheck {
  if (!EVM_SHAPE.test(address)) return fail(network, 'expected 0x followed by 40 hexadecimal digits')
  const digits = address.slice(2)
  const lower = digits.toLowerCase()
  const normalized = `0x${lower}`
  if (digits === lower || digits === digits.toUpperCase()) return { ok: true, normalized }
  if (address !== toChecksumAddress(lower))
    return fail(network, 'checksum does not match (mixed case must follow EIP-55)')
  return { ok: true, normalized }
}

/** EIP-55: a letter is upper-case where the matching nibble of keccak-256(lower-case hex) is 8 or more. */
function toChecksumAddress(lowerHex: string): string {
  const hash = bytesToHex(keccak_256(utf8ToBytes(lowerHex)))
  let out = '0x'
  for (let i = 0; i < lowerHex.length; i++) {
    const char = lowerHex[i]!
    out += parseInt(hash[i]!, 16) >= 8 ? char.toUpperCase() : char
  }
  return out
}

function checkSolana(_network: string, address: string): DestinationAddressCheck {
  const bytes = decodeBase58(address)
  if (bytes === null) return fail('solana', 'not base58')
  if (bytes.length !== 32) return fail('solana', `decodes to ${bytes.length} bytes, expected 32`)
  return { ok: true, normalized: address }
}

function checkTron(_network: string, address: string): DestinationAddressCheck {
  const raw = decodeBase58(address)
  if (raw === null) return fail('tron', 'not base58')
  if (raw.length !== 25)
    return fail('tron', `decodes to ${raw.length} bytes, expected 25 (21 and a 4-byte checksum)`)
  let payload: Uint8Array
  try {
    payload = tronBase58check.decode(address)
  } catch {
    return fail('tron', 'checksum does not match')
  }
  if (payload[0] !== TRON_PREFIX)
    return fail('tron', `starts with byte 0x${payload[0]!.toString(16).padStart(2, '0')}, expected 0x41`)
  return { ok: true, normalized: address }
}

function decodeBase58(text: string): Uint8Array | null {
  try {
    return base58.decode(text)
  } catch {
    return null
  }
}

const CHECKS: Readonly<
  Record<DestinationNetwork, (network: string, address: string) => DestinationAddressCheck>
> = Object.freeze({
  polygon: checkEvm,
  ethereum: checkEvm,
  base: checkEvm,
  arbitrum: checkEvm,
  solana: checkSolana,
  tron: checkTron,
})
