/** The unauthenticated `/__control` HTTP routes: the in-process control methods over HTTP. */
import { z } from 'zod'
import { statusBreakdownEntrySchema, toIssues } from '../../core/schemas.js'
import type { AlignCreateVirtualAccountParams } from '../../types.js'
import type { AlignEmulator } from '../emulator.js'
import { invalid, notFound, type Reply } from './http.js'
import { FAULT_KINDS } from './faults.js'
import type { RouteDefinition } from './router.js'

const faultSchema = z.object({
  route: z.string(),
  kind: z.enum(FAULT_KINDS),
  status: z.number().int().min(100).max(599).optional(),
  times: z.number().int().positive().optional(),
  retryAfter: z.string().optional(),
})
const latencySchema = z.object({ ms: z.number().min(0), route: z.string().optional() })
const kycStateSchema = z.object({
  status: z.string().min(1),
  sub_status: z.string().nullable(),
  status_breakdown: z.array(statusBreakdownEntrySchema).optional(),
  deliverWebhook: z.boolean().optional(),
})
const sendWebhookSchema = z
  .object({
    customerId: z.string().min(1).optional(),
    entityId: z.string().min(1).optional(),
    entityType: z.string().min(1).optional(),
    url: z.string().optional(),
    badSignature: z.boolean().optional(),
    createdAt: z.string().optional(),
    eventType: z.string().optional(),
  })
  .refine((v) => v.customerId !== undefined || v.entityId !== undefined, {
    message: 'entityId or customerId is required',
    path: ['entityId'],
  })
const holdSchema = z.object({
  eventType: z.string().min(1),
  hold: z.boolean(),
  discard: z.boolean().optional(),
})
const createVirtualAccountControlSchema = z.looseObject({ customerId: z.string().min(1) })

/** Runs a control method: its result (or `{}`) as 200, a thrown error as 400 `validation_error`. */
function control(fn: () => unknown): Reply {
  try {
    const result = fn()
    return { status: 200, json: result ?? {} }
  } catch (error) {
    const message =
      error instanceof z.ZodError
        ? toIssues(error)
            .map((i) => `${i.path}: ${i.message}`)
            .join('; ')
        : String((error as Error).message ?? error)
    return { status: 400, json: { message, code: 'validation_error' } }
  }
}

export function controlRoutes(emulator: AlignEmulator): RouteDefinition[] {
  const route = (key: string, handler: RouteDefinition['handler']): RouteDefinition => ({
    kind: 'control',
    key,
    handler,
  })
  return [
    route('POST /__control/reset', () => control(() => emulator.reset())),
    route('GET /__control/calls', () => ({ status: 200, json: emulator.calls() })),
    route('DELETE /__control/calls', () => control(() => emulator.resetCalls())),
    route('POST /__control/faults', ({ body }) =>
      control(() => emulator.injectFault(faultSchema.parse(body))),
    ),
    route('DELETE /__control/faults', () => control(() => emulator.clearFaults())),
    route('POST /__control/latency', ({ body }) =>
      control(() => {
        const { ms, route } = latencySchema.parse(body)
        emulator.setLatency(ms, route)
      }),
    ),
    route('GET /__control/customers/:id', ({ params }) => {
      const customer = emulator.getCustomer(params['id'] ?? '')
      return customer ? { status: 200, json: customer } : notFound('Customer')
    }),
    route('PUT /__control/customers/:id/kyc', ({ params, body }) => {
      const id = params['id'] ?? ''
      if (!emulator.getCustomer(id)) return notFound('Customer')
      return control(() => {
        const { deliverWebhook, ...state } = kycStateSchema.parse(body)
        emulator.setKycState(id, state, { deliverWebhook })
        return emulator.getCustomer(id)
      })
    }),
    route('POST /__control/customers/:id/expire-links', ({ params }) => ({
      status: 200,
      json: { expired: emulator.expireLinks(params['id'] ?? '') },
    })),
    route('POST /__control/webhooks/send', async ({ body }) => {
      const parsed = sendWebhookSchema.safeParse(body)
      if (!parsed.success) return invalid('webhook send', parsed.error)
      return { status: 200, json: { results: await emulator.sendWebhook(parsed.data) } }
    }),
    route('GET /__control/webhooks/deliveries', () => ({
      status: 200,
      json: { items: emulator.webhookDeliveries() },
    })),
    route('POST /__control/webhooks/hold', ({ body }) => {
      const parsed = holdSchema.safeParse(body)
      if (!parsed.success) return invalid('webhook hold', parsed.error)
      const { eventType, hold, discard } = parsed.data
      return { status: 200, json: { released: emulator.holdWebhooks(eventType, hold, { discard }) } }
    }),
    route('GET /__control/webhooks/held', () => ({ status: 200, json: { items: emulator.heldWebhooks() } })),
    route('POST /__control/virtual-accounts', ({ body }) => {
      const parsed = createVirtualAccountControlSchema.safeParse(body)
      if (!parsed.success) return invalid('virtual account', parsed.error)
      const { customerId, ...params } = parsed.data
      if (!emulator.getCustomer(customerId)) return notFound('Customer')
      const reply = control(() =>
        emulator.createVirtualAccount(customerId, params as AlignCreateVirtualAccountParams),
      )
      return reply.status === 200 ? { ...reply, status: 201 } : reply
    }),
    route('GET /__control/virtual-accounts', ({ query }) => ({
      status: 200,
      json: { items: emulator.virtualAccounts(query.get('customerId') ?? undefined) },
    })),
    route('GET /__control/virtual-accounts/:id', ({ params }) => {
      const account = emulator.getVirtualAccount(params['id'] ?? '')
      return account ? { status: 200, json: account } : notFound('Virtual account')
    }),
  ]
}
