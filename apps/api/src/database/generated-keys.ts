import { randomBytes } from 'node:crypto'
import type { Sql } from './sql.js'

/**
 * A key generated once into the database (table `generated_keys`) under `name`, for a variable left
 * unset outside production: the first instance to ask inserts 32 random bytes (base64), every later
 * one, on this or another instance, reads the same row (ON CONFLICT DO NOTHING settles a race).
 * It lives beside the data, so it protects nothing against a dump: production requires the variable.
 */
export async function generatedKey(sql: Sql, name: string): Promise<Buffer> {
  await sql('INSERT INTO generated_keys (name, key) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [
    name,
    randomBytes(32).toString('base64'),
  ])
  const rows = await sql<{ key: string }>('SELECT key FROM generated_keys WHERE name = $1', [name])
  return Buffer.from(rows[0]!.key, 'base64')
}
