/** The unauthenticated `/__control` HTTP routes: the in-process control methods over HTTP. */
import { z } from 'zod'
import { toIssues } from '../../core/schemas.js'
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
  deliverWebhook: z.boolean().optional(),
})
const sendWebhookSchema = z.object({
  customerId: z.string().min(1),
  url: z.string().optional(),
  badSignature: z.boolean().optional(),
  createdAt: z.string().optional(),
  eventType: z.string().optional(),
})

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
  ]
}
