import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

/**
 * Endpoint secrets at rest: AES-256-GCM under WEBHOOK_ENDPOINT_KEY, so a database dump alone does
 * not reveal them. A sealed value is `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url parts); the key
 * id (the start of the key's SHA-256) picks the key among those configured, so a key rotation adds
 * the new key first and keeps the old one until the secrets are rotated.
 * The plaintext never leaves this class except to sign (and in the create and rotate answers).
 */
export class SecretBox {
  readonly #keys: { id: string; key: Buffer }[]

  /** `keys`: 32 bytes each; the first seals. */
  constructor(keys: readonly Buffer[]) {
    if (keys.length === 0 || keys.some((k) => k.length !== 32)) throw new Error('SecretBox: 32-byte keys')
    this.#keys = keys.map((key) => ({ id: createHash('sha256').update(key).digest('hex').slice(0, 8), key }))
  }

  seal(plaintext: string): string {
    const { id, key } = this.#keys[0]!
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', key, iv)
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return ['v1', id, iv, cipher.getAuthTag(), ct]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.')
  }

  /** Throws when the value was not sealed by one of the keys (a wrong key, a tampered value). */
  open(sealed: string): string {
    const [v, id, iv, tag, ct] = sealed.split('.')
    const key = this.#keys.find((k) => k.id === id)?.key
    if (v !== 'v1' || !key || !iv || !tag || ct === undefined)
      throw new Error(
        'an endpoint secret is sealed under a key that is not configured (WEBHOOK_ENDPOINT_KEY)',
      )
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8')
  }

  toJSON(): string {
    return '[SecretBox]'
  }
}

/** A new endpoint secret: `whsec_` + base64 of 32 random bytes (the Standard Webhooks form). */
export function newEndpointSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`
}
