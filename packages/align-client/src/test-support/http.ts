// Test-only helpers (excluded from the build): tiny node:http servers for webhook receivers and
// for answering bodies the emulator never produces.
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export type ReceivedRequest = { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }

export type TestServer = {
  url: string
  requests: ReceivedRequest[]
  /** Resolves once at least `n` requests arrived (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedRequest[]>
  close(): Promise<void>
}

type Responder = (
  req: ReceivedRequest,
  index: number,
) => { status: number; body?: string; headers?: Record<string, string> }

/** Starts a server that records each request and answers with `respond` (default 200 `{}`). */
export async function startServer(
  respond: Responder = () => ({ status: 200, body: '{}' }),
): Promise<TestServer> {
  const requests: ReceivedRequest[] = []
  let waiters: (() => void)[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }
      requests.push(received)
      const reply = respond(received, requests.length - 1)
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
      res.end(reply.body ?? '')
      const pending = waiters
      waiters = []
      pending.forEach((w) => w())
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async waitFor(n, timeoutMs = 2_000) {
      const deadline = Date.now() + timeoutMs
      while (requests.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} requests, got ${requests.length}`)
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 20)
          waiters.push(() => {
            clearTimeout(t)
            resolve()
          })
        })
      }
      return requests
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** A URL on which nothing listens (connections are refused). */
export async function closedPortUrl(): Promise<string> {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}
