import type { OpenAnswer, StreamOpen, StreamReceipt, TakeStreamsAnswer } from '../stream-client.js'
import { pool, type HttpClient } from './http.js'
import { startIpcChild } from './processes.js'
import type { BenchCustomer } from './seed.js'

export type { StreamReceipt }

/** A running bench/stream-client.ts, driven over IPC. */
export type StreamClient = {
  /** Opens the streams; resolves once each has its first event (or failed). */
  open(streams: StreamOpen[]): Promise<OpenAnswer>
  take(): Promise<TakeStreamsAnswer>
  /** Ends every stream (the client side closes its sockets). */
  close(): Promise<{ closed: number }>
  stop(): void
}

export async function startStreamClient(): Promise<StreamClient> {
  const child = await startIpcChild<{ ready: true }>('stream client', 'stream-client.ts', {})
  return {
    stop: child.stop,
    open: (streams) => child.send({ cmd: 'open', streams }),
    take: () => child.send({ cmd: 'take' }),
    close: () => child.send({ cmd: 'close' }),
  }
}

/**
 * The stream URL (on `base`) of each customer, with a client token minted for it through the
 * service (`POST /v1/customers/:id/client-tokens`, an hour: longer than any section) in the query,
 * as a browser's EventSource sends it. `key` is the customer id.
 */
export async function streamsFor(
  api: HttpClient,
  base: string,
  customers: BenchCustomer[],
): Promise<StreamOpen[]> {
  return pool(customers, 4, async (c) => {
    const r = await api.expect([201], 'POST', `/v1/customers/${c.id}/client-tokens`, { ttl: '1h' })
    const { token } = r.json<{ token: string }>()
    return {
      key: c.id,
      url: `${base}/v1/customers/${c.id}/kyc/events?access_token=${encodeURIComponent(token)}`,
    }
  })
}
