import { randomBytes } from 'node:crypto'
import { newEndpointSecret, SecretBox } from './secret-box.js'

describe('SecretBox', () => {
  const k1 = randomBytes(32)
  const k2 = randomBytes(32)

  it('seals so that the plaintext does not appear, and opens it again', () => {
    const box = new SecretBox([k1])
    const secret = newEndpointSecret()
    const sealed = box.seal(secret)
    expect(sealed).not.toContain(secret.slice(6))
    expect(box.seal(secret)).not.toBe(sealed) // a fresh IV each time
    expect(box.open(sealed)).toBe(secret)
  })

  it('opens what an older key sealed while that key is still listed (key rotation)', () => {
    const sealedOld = new SecretBox([k1]).seal('old')
    const rotated = new SecretBox([k2, k1])
    expect(rotated.open(sealedOld)).toBe('old')
    expect(() => new SecretBox([k1]).open(rotated.seal('new'))).toThrow(/not configured/)
  })

  it('refuses a tampered value', () => {
    const box = new SecretBox([k1])
    const parts = box.seal('whsec_abc').split('.')
    const ct = Buffer.from(parts[4]!, 'base64url')
    ct[0]! ^= 1
    parts[4] = ct.toString('base64url')
    expect(() => box.open(parts.join('.'))).toThrow()
  })

  it('never shows its keys', () => {
    const box = new SecretBox([k1])
    expect(JSON.stringify({ box })).toBe('{"box":"[SecretBox]"}')
    expect(() => new SecretBox([randomBytes(16)])).toThrow()
  })

  it('makes whsec_ secrets of 32 random bytes', () => {
    const s = newEndpointSecret()
    expect(s).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(Buffer.from(s.slice(6), 'base64')).toHaveLength(32)
    expect(newEndpointSecret()).not.toBe(s)
  })
})
