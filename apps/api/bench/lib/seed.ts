import { pool, type HttpClient } from './http.js'

let seq = 0

/** A customer as created through the service: our id and Align's. */
export type BenchCustomer = { id: string; alignCustomerId: string }

/** Creates customers through the service (so Align has them too). */
export async function createCustomers(api: HttpClient, n: number, label: string): Promise<BenchCustomer[]> {
  const tag = `${label}-${process.pid}-${Date.now().toString(36)}`
  return pool(
    Array.from({ length: n }, () => seq++),
    4,
    async (i) => {
      const r = await api.expect([201], 'POST', '/v1/customers', {
        email: `bench-${tag}-${i}@example.com`,
        type: 'individual',
        firstName: 'Bench',
        lastName: `Customer${i}`,
      })
      const { id, alignCustomerId } = r.json<BenchCustomer>()
      return { id, alignCustomerId }
    },
  )
}

/** Customers that each have a live link (the warm path of a link request reuses it). */
export async function createWarmCustomers(api: HttpClient, n: number, label: string): Promise<string[]> {
  const ids = (await createCustomers(api, n, label)).map((c) => c.id)
  for (const id of ids) await api.expect([201], 'POST', linkPath(id), {})
  for (const id of ids) await api.expect([200], 'POST', linkPath(id), {}) // reused from now on
  return ids
}

export const linkPath = (id: string) => `/v1/customers/${id}/kyc-sessions`
