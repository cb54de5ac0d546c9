import http from 'node:http'

/** One Server-Sent Event as received (`event` defaults to `message`, as in EventSource). */
export type SseEvent = { event: string; data: string }

/**
 * A Server-Sent Events client over node's http, as a test needs it: every event and comment kept in
 * order, waiting for the next matching one, and whether (and when) the server ended the stream.
 */
export class SseStream {
  readonly events: SseEvent[] = []
  readonly comments: string[] = []
  status = 0
  headers: http.IncomingHttpHeaders = {}
  ended = false
  private readonly waiters = new Set<() => void>()
  private buffer = ''
  private constructor(private readonly req: http.ClientRequest) {}

  /** Opens `path` on `base` and resolves once the response headers are in (any status). */
  static open(base: string, path: string, headers: Record<string, string> = {}): Promise<SseStream> {
    const u = new URL(path, base)
    return new Promise((resolve, reject) => {
      const req = http.get(u, { headers: { accept: 'text/event-stream', ...headers } })
      const stream = new SseStream(req)
      req.once('error', reject)
      req.once('response', (res) => {
        stream.status = res.statusCode ?? 0
        stream.headers = res.headers
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => stream.feed(chunk))
        res.on('end', () => stream.finish())
        res.on('close', () => stream.finish())
        res.on('error', () => stream.finish())
        resolve(stream)
      })
    })
  }

  /** The body as text, for a stream that was refused (the server answered JSON and ended). */
  get raw(): string {
    return this.buffer
  }

  /** Resolves with the `n`-th event (0-based) named `event`, waiting up to `timeoutMs` for it. */
  async nth(n: number, event = 'status', timeoutMs = 10_000): Promise<SseEvent> {
    await this.until(
      () => this.events.filter((e) => e.event === event).length > n,
      `event ${n} "${event}"`,
      timeoutMs,
    )
    return this.events.filter((e) => e.event === event)[n]!
  }

  /** Resolves once `check()` holds, or throws after `timeoutMs`. */
  until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (check()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(look)
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.events)}`))
      }, timeoutMs)
      const look = () => {
        if (!check()) return
        clearTimeout(timer)
        this.waiters.delete(look)
        resolve()
      }
      this.waiters.add(look)
    })
  }

  /** Resolves once the server has ended the stream. */
  closed(timeoutMs = 10_000): Promise<void> {
    return this.until(() => this.ended, 'the end of the stream', timeoutMs)
  }

  close(): void {
    this.req.destroy()
  }

  private feed(chunk: string): void {
    this.buffer += chunk
    if (!String(this.headers['content-type']).startsWith('text/event-stream')) return this.notify()
    let end: number
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end)
      this.buffer = this.buffer.slice(end + 2)
      let event = 'message'
      const data: string[] = []
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line.slice(1).trim())
        else if (line.startsWith('event:')) event = line.slice(6).trim()
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart())
      }
      if (data.length) this.events.push({ event, data: data.join('\n') })
    }
    this.notify()
  }

  private finish(): void {
    this.ended = true
    this.notify()
  }

  private notify(): void {
    for (const w of [...this.waiters]) w()
  }
}
