/**
 * The stream sections' browsers (issue 20): holds `GET /v1/customers/:id/kyc/events` streams in its
 * own process, so receipt times are another process's (as a browser's are) and the bench process,
 * which hosts the emulator and the load, never delays them. Each stream is one node:http request on
 * its own socket, parsed with `eventsource-parser`. Driven over IPC by lib/stream-client.ts:
 *   { cmd: 'open', streams: [{ key, url }] }  opens them (OPENING at a time); answered once each has
 *                                             its first `status` event, or failed: { opened, failed, ms }
 *   { cmd: 'take' }                           hands over (and forgets) the `status` events received
 *                                             after each stream's first: { receipts, endedByServer, live }
 *   { cmd: 'close' }                          destroys every stream: { closed }
 * every command answered with { id, ... }.
 */
import http from 'node:http'
import { createParser } from 'eventsource-parser'

/** One `status` event as received (a stream's first, the state at opening, is not one). */
export type StreamReceipt = {
  key: string
  status: string
  /** The event's `updatedAt` (when the change was written, before its commit). */
  updatedAt: string
  /** Wall-clock ms (sub-millisecond) when the event had arrived. */
  receivedAtMs: number
}
export type StreamOpen = { key: string; url: string }
export type StreamClientCommand =
  | { id: number; cmd: 'open'; streams: StreamOpen[] }
  | { id: number; cmd: 'take' }
  | { id: number; cmd: 'close' }
export type OpenAnswer = {
  opened: number
  /** Streams refused or broken before their first event: the answer's status and the start of its body. */
  failed: { key: string; status: number; body: string }[]
  /** How long opening all of them took. */
  ms: number
}
export type TakeStreamsAnswer = {
  receipts: StreamReceipt[]
  /** Streams the server ended (or that broke) since the start: none should. */
  endedByServer: number
  live: number
}

/** Streams being set up at once: the browsers of 1000 customers do not all connect in one millisecond either. */
const OPENING = 50

const now = () => performance.timeOrigin + performance.now()
const live = new Set<http.ClientRequest>()
let receipts: StreamReceipt[] = []
let endedByServer = 0
let closing = false

/** Opens one stream; resolves once its first `status` event is in (null), or with why it failed. */
function openOne(s: StreamOpen): Promise<OpenAnswer['failed'][number] | null> {
  return new Promise((resolve) => {
    let first = true
    let settled = false
    const settle = (failure: OpenAnswer['failed'][number] | null) => {
      if (settled) return
      settled = true
      resolve(failure)
    }
    const parser = createParser({
      onEvent(e) {
        if (e.event !== 'status') return
        const receivedAtMs = now()
        if (first) {
          first = false
          return settle(null)
        }
        const data = JSON.parse(e.data) as { status: string; updatedAt: string }
        receipts.push({ key: s.key, status: data.status, updatedAt: data.updatedAt, receivedAtMs })
      },
    })
    const req = http.get(s.url, { agent: false, headers: { accept: 'text/event-stream' } })
    live.add(req)
    const gone = () => {
      if (!live.delete(req)) return
      if (!closing) endedByServer++
      settle({ key: s.key, status: 0, body: 'the stream ended before its first event' })
    }
    req.on('error', (e) => {
      gone()
      settle({ key: s.key, status: 0, body: e.message })
    })
    req.on('response', (res) => {
      res.setEncoding('utf8')
      if (res.statusCode !== 200) {
        let body = ''
        res.on('data', (c: string) => (body += c))
        res.on('end', () => {
          live.delete(req)
          settle({ key: s.key, status: res.statusCode ?? 0, body: body.slice(0, 300) })
        })
        return
      }
      res.on('data', (c: string) => parser.feed(c))
      res.on('close', gone)
    })
  })
}

process.on('message', (m: StreamClientCommand) => {
  switch (m.cmd) {
    case 'open': {
      closing = false
      const started = performance.now()
      const failed: OpenAnswer['failed'] = []
      let next = 0
      const worker = async () => {
        while (next < m.streams.length) {
          const f = await openOne(m.streams[next++]!)
          if (f) failed.push(f)
        }
      }
      void Promise.all(Array.from({ length: Math.min(OPENING, m.streams.length) }, worker)).then(() =>
        process.send!({
          id: m.id,
          opened: m.streams.length - failed.length,
          failed,
          ms: performance.now() - started,
        } satisfies OpenAnswer & { id: number }),
      )
      return
    }
    case 'take': {
      const out: TakeStreamsAnswer & { id: number } = { id: m.id, receipts, endedByServer, live: live.size }
      receipts = []
      return process.send!(out)
    }
    case 'close': {
      closing = true
      const closed = live.size
      for (const req of live) req.destroy()
      live.clear()
      return process.send!({ id: m.id, closed })
    }
  }
})
process.on('disconnect', () => process.exit(0))
process.send!({ ready: true })
