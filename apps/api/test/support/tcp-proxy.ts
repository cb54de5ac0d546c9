import net from 'node:net'

/**
 * A TCP proxy in the test process between the service and PostgreSQL, so a test can make the
 * database unreachable for one service without touching the shared server: `refuse()` resets every
 * open connection and stops listening (new connections get a real ECONNREFUSED); `accept()` listens
 * again on the same port.
 */
export class TcpProxy {
  private server: net.Server | null = null
  private readonly sockets = new Set<net.Socket>()
  port = 0

  private constructor(
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {}

  static async start(upstreamHost: string, upstreamPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(upstreamHost, upstreamPort)
    await proxy.accept()
    return proxy
  }

  /** `url` with its host and port replaced by the proxy's. */
  through(url: string): string {
    const u = new URL(url)
    u.hostname = '127.0.0.1'
    u.port = String(this.port)
    return u.toString()
  }

  async accept(): Promise<void> {
    if (this.server) return
    const server = net.createServer((client) => {
      const upstream = net.connect(this.upstreamPort, this.upstreamHost)
      this.sockets.add(client).add(upstream)
      const drop = () => {
        client.destroy()
        upstream.destroy()
        this.sockets.delete(client)
        this.sockets.delete(upstream)
      }
      client.on('error', drop).on('close', drop)
      upstream.on('error', drop).on('close', drop)
      client.pipe(upstream).pipe(client)
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, '127.0.0.1', () => resolve())
    })
    this.port = (server.address() as net.AddressInfo).port
    this.server = server
  }

  /** Resets every open connection (RST) and stops listening. */
  async refuse(): Promise<void> {
    const server = this.server
    this.server = null
    for (const s of this.sockets) {
      // A socket still connecting has no TCP handle to reset.
      if (s.readyState === 'open') s.resetAndDestroy()
      else s.destroy()
    }
    this.sockets.clear()
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  async close(): Promise<void> {
    await this.refuse()
  }
}
