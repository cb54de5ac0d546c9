/**
 * Align's API as the emulator answers it, with the bodies the `@tolbel/align` SDK documents
 * (`packages/align-client/README.md` lists what is modelled and what is guessed).
 */
import { randomBytes, randomUUID } from 'node:crypto'
import {
  createCustomerSchema,
  createWebhookSchema,
  simulateCustomerSchema,
  updateCustomerSchema,
} from '../../core/schemas.js'
import type { AlignCustomer, AlignCustomerDocument, AlignWebhook } from '../../types.js'
import { alignError, invalid, notFound, type Reply } from './http.js'
import type { ResolvedEmulatorOptions } from './options.js'
import type { RouteDefinition } from './router.js'
import { KYC_APPROVED, statusBreakdown, type AlignEmulatorKycState, type EmulatorStore } from './store.js'

export type AlignRoutesContext = {
  store: EmulatorStore
  options: ResolvedEmulatorOptions
  /** The emulator's base URL (links point at it). */
  url: () => string
  /** Sets a customer's KYC state and announces it to every registered webhook. */
  changeKycState: (customerId: string, state: AlignEmulatorKycState) => void
}

export function alignRoutes(ctx: AlignRoutesContext): RouteDefinition[] {
  const { store } = ctx
  const api = (key: string, handler: RouteDefinition['handler']): RouteDefinition => ({
    kind: 'api',
    key,
    handler,
  })
  return [
    api('POST /v0/customers/simulate', ({ body }) => simulate(ctx, body)),
    api('POST /v0/customers', ({ body }) => createCustomer(store, body)),
    api('GET /v0/customers', ({ query }) => {
      const email = query.get('email')?.toLowerCase()
      const items = [...store.customers.values()]
        .filter((r) => email === undefined || r.customer.email.toLowerCase() === email)
        .map((r) => r.customer)
      return { status: 200, json: { items } }
    }),
    api('GET /v0/customers/:id', ({ params }) => {
      const record = store.customers.get(params['id'] ?? '')
      return record ? { status: 200, json: record.customer } : notFound('Customer')
    }),
    api('PUT /v0/customers/:id', ({ params, body }) => updateCustomer(store, params['id'] ?? '', body)),
    api('POST /v0/customers/:id/kycs', ({ params }) => createKycSession(ctx, params['id'] ?? '')),
    api('POST /v0/webhooks', ({ body }) => {
      const parsed = createWebhookSchema.safeParse(body)
      if (!parsed.success) return invalid('webhook', parsed.error)
      const webhook: AlignWebhook = {
        id: randomUUID(),
        url: parsed.data.url,
        status: 'active',
        created_at: new Date().toISOString(),
      }
      store.webhooks.set(webhook.id, webhook)
      return { status: 200, json: webhook }
    }),
    api('GET /v0/webhooks', () => ({ status: 200, json: { items: [...store.webhooks.values()] } })),
    // Align documents no response body for a delete.
    api('DELETE /v0/webhooks/:id', ({ params }) =>
      store.webhooks.delete(params['id'] ?? '') ? { status: 204 } : notFound('Webhook'),
    ),
  ]
}

function createCustomer(store: EmulatorStore, body: unknown): Reply {
  const parsed = createCustomerSchema.safeParse(body)
  if (!parsed.success) return invalid('customer', parsed.error)
  const input = parsed.data
  const email = input.email.toLowerCase()
  for (const record of store.customers.values()) {
    if (record.customer.email.toLowerCase() === email) {
      return alignError(409, 'A customer with this email already exists', 'customer_already_exists')
    }
  }
  const customer: AlignCustomer = {
    customer_id: randomUUID(),
    email: input.email,
    type: input.type,
    ...(input.first_name === undefined ? {} : { first_name: input.first_name }),
    ...(input.last_name === undefined ? {} : { last_name: input.last_name }),
    ...(input.company_name === undefined ? {} : { company_name: input.company_name }),
  }
  store.customers.set(customer.customer_id, { customer, documents: [] })
  return { status: 200, json: customer }
}

/** Attaches documents; Align answers an empty object. */
function updateCustomer(store: EmulatorStore, id: string, body: unknown): Reply {
  const record = store.customers.get(id)
  if (!record) return notFound('Customer')
  const parsed = updateCustomerSchema.safeParse(body)
  if (!parsed.success) return invalid('customer update', parsed.error)
  record.documents.push(...(parsed.data.documents as AlignCustomerDocument[]))
  return { status: 200, json: {} }
}

/**
 * A new link; the KYC status is left as it is (`not_started` for a new customer: a guess, see README)
 * unless `statusOnLinkCreation` says otherwise (an approved customer stays approved).
 */
function createKycSession(ctx: AlignRoutesContext, id: string): Reply {
  const record = ctx.store.customers.get(id)
  if (!record) return notFound('Customer')
  const token = randomBytes(16).toString('hex')
  ctx.store.links.set(token, { token, customerId: id, expiresAt: Date.now() + ctx.options.linkTtlMs })
  const link = `${ctx.url()}/flow/${token}`
  const current = record.customer.kycs ?? { status: 'not_started', sub_status: null }
  const moved = ctx.options.statusOnLinkCreation
  const kycs = moved && current.status !== 'approved' ? { ...current, ...moved } : current
  record.customer.kycs = { ...kycs, kyc_flow_link: link, status_breakdown: statusBreakdown(kycs.status) }
  return { status: 200, json: { kycs: { kyc_flow_link: link } } }
}

function simulate(ctx: AlignRoutesContext, body: unknown): Reply {
  const parsed = simulateCustomerSchema.safeParse(body)
  if (!parsed.success) return invalid('simulation', parsed.error)
  if (parsed.data.action !== 'kyc.status.approve') {
    return alignError(400, `Unsupported action ${parsed.data.action}`, 'validation_error')
  }
  if (!ctx.store.customers.has(parsed.data.customer_id)) return notFound('Customer')
  ctx.changeKycState(parsed.data.customer_id, KYC_APPROVED)
  return { status: 200, json: {} }
}
