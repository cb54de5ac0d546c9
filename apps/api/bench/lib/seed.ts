import type { BenchContext } from './types.js'
import { pool } from './http.js'

let seq = 0

/** Creates customers through the service (so Align has them too); returns our ids. */
export async function createCustomers(ctx: BenchContext, n: number, label: string): Promise<string[]> {
  const tag = `${label}-${process.pid}-${Date.now().toString(36)}`
  return pool(
    Array.from({ length: n }, () => seq++),
    4,
    async (i) => {
      const r = await ctx.api.expect([201], 'POST', '/v1/customers', {
        email: `bench-${tag}-${i}@example.com`,
        type: 'individual',
        firstName: 'Bench',
        lastName: `Customer${i}`,
      })
      return r.json<{ id: string }>().id
    },
  )
}

export const linkPath = (id: string) => `/v1/customers/${id}/kyc-sessions`
