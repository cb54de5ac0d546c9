/** Injected faults: what each kind does to a call, and which calls are still due one. */
import type http from 'node:http'
import { requestId, send } from './http.js'

/**
 * Fault kinds, listed once (the type, the control API's validation and `injectFault` use this list):
 * - `5xx`: answer `status` (default 500; any status works, e.g. 429 or 408) with `{message, code}`
 *   and an optional `Retry-After`;
 * - `timeout`: never answer (the client's timeout fires);
 * - `reset`: destroy the socket without answering;
 * - `malformed`: answer 200 with a body that is not JSON;
 * - `succeed-then-500`: perform the operation, then answer 500 (an unknown outcome for the client);
 * - `succeed-then-timeout`: perform the operation (saved, webhooks sent), then never answer: "Align
 *   did it but our call timed out";
 * - `succeed-then-reset`: perform the operation (saved, webhooks sent), then destroy the socket.
 */
export const FAULT_KINDS = [
  '5xx',
  'timeout',
  'reset',
  'malformed',
  'succeed-then-500',
  'succeed-then-timeout',
  'succeed-then-reset',
] as const

/** One of {@link FAULT_KINDS}. */
export type AlignEmulatorFaultKind = (typeof FAULT_KINDS)[number]

/** A fault on one route, e.g. `{ route: 'GET /v0/customers/:id', kind: 'reset', times: 1 }`. */
export type AlignEmulatorFault = {
  /** Route key: method, space, pattern (see `AlignEmulator.routes`). */
  route: string
  kind: AlignEmulatorFaultKind
  /** Status for `5xx` (default 500). */
  status?: number
  /** How many calls the fault applies to; default: until `clearFaults()`. */
  times?: number
  /** `Retry-After` header value sent with a `5xx` fault (seconds or an HTTP date). */
  retryAfter?: string
}

type ActiveFault = AlignEmulatorFault & { remaining: number }

export class Faults {
  #faults: ActiveFault[] = []

  add(fault: AlignEmulatorFault): void {
    if (!(FAULT_KINDS as readonly string[]).includes(fault.kind)) {
      throw new Error(`Unknown fault kind ${String(fault.kind)}`)
    }
    this.#faults.push({ ...fault, remaining: fault.times ?? Number.POSITIVE_INFINITY })
  }

  clear(): void {
    this.#faults = []
  }

  /** The first fault due on the route, counted as used. */
  take(routeKey: string): AlignEmulatorFault | undefined {
    const fault = this.#faults.find((f) => f.route === routeKey && f.remaining > 0)
    if (!fault) return undefined
    fault.remaining--
    if (fault.remaining <= 0) this.#faults = this.#faults.filter((f) => f !== fault)
    return fault
  }
}

/**
 * Acts out a fault before the operation. Returns `'answered'` when the call is over (answered, reset,
 * or left hanging until `stop()`), `'after'` when the operation must run first (a `succeed-then-*`
 * kind; {@link actOutFaultAfter} then replaces its answer).
 */
export function actOutFault(
  fault: AlignEmulatorFault,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): 'answered' | 'after' {
  switch (fault.kind) {
    case 'timeout':
      return 'answered' // never answer; stop() closes the connection
    case 'reset':
      req.socket.destroy()
      return 'answered'
    case 'malformed':
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': requestId() })
      res.end('{"customer_id": "cus_trunc')
      return 'answered'
    case '5xx':
      send(res, {
        status: fault.status ?? 500,
        json: { message: 'Injected fault', code: 'injected_fault' },
        headers: fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter },
      })
      return 'answered'
    case 'succeed-then-500':
    case 'succeed-then-timeout':
    case 'succeed-then-reset':
      return 'after'
  }
}

/** Replaces the answer of an operation that ran (a `succeed-then-*` fault). */
export function actOutFaultAfter(fault: AlignEmulatorFault, res: http.ServerResponse): void {
  switch (fault.kind) {
    case 'succeed-then-timeout':
      return // never answer; stop() closes the connection
    case 'succeed-then-reset':
      res.socket?.destroy()
      return
    default:
      send(res, {
        status: 500,
        json: { message: 'Injected fault after success', code: 'injected_fault' },
      })
  }
}
