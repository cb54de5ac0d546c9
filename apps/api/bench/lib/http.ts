import http from 'node:http'

/**
 * A minimal keep-alive HTTP client on node:http, used both for the service and for the emulator's
 * direct round trips, so the client's own cost is the same on both sides of a subtraction.
 */
export type Reply = { status: number; body: string; json<T = unknown>(): T }

export class HttpClient {
  readonly agent: http.Agent

  constructor(
    readonly base: string,
    private readonly headers: Record<string, string> = {},
    maxSockets = 16,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets })
  }

  request(method: string, path: string, body?: unknown): Promise<Reply> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    return this.requestRaw(
      method,
      path,
      payload,
      payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {},
    )
  }

  /** `body` sent as is, with `headers` added to the client's. */
  requestRaw(
    method: string,
    path: string,
    body: string | Buffer | undefined,
    headers: Record<string, string>,
  ): Promise<Reply> {
    const payload = typeof body === 'string' ? Buffer.from(body) : body
    const url = new URL(path, this.base)
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          agent: this.agent,
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method,
          headers: {
            ...this.headers,
            ...headers,
            ...(payload ? { 'content-length': String(payload.length) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString()
            resolve({ status: res.statusCode ?? 0, body: text, json: () => JSON.parse(text) })
          })
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end(payload)
    })
  }

  /** Same as request, but throws unless the status is one of `ok`. */
  async expect(ok: number[], method: string, path: string, body?: unknown): Promise<Reply> {
    const r = await this.request(method, path, body)
    if (!ok.includes(r.status))
      throw new Error(`${method} ${path}: expected ${ok.join('/')}, got ${r.status}: ${r.body.slice(0, 300)}`)
    return r
  }

  close(): void {
    this.agent.destroy()
  }
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await fn(items[i]!, i)
      }
    }),
  )
  return out
}
