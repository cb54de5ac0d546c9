import http from 'node:http'

/** What one fixed-rate run saw. */
export type OpenLoopRun = {
  sent: number
  ok: number
  other: number
  errors: number
  seconds: number
  /** Latency of each 2xx answer, from the moment the request was issued. */
  samples: number[]
  /** How far behind its schedule the generator issued requests, at worst (ms). */
  maxLagMs: number
  /** CPU the generator (this process) spent per request sent (ms). */
  cpuMsPerRequest: number
}

/**
 * Operations at a fixed rate: `rate * seconds` of them issued on a schedule (`rate` per second,
 * evenly, checked every millisecond) whether or not earlier ones have finished. `issue(n)` starts
 * operation `n` (0-based) and settles with its outcome: `ok` (its latency, from the moment it was
 * issued until it settled, is a sample), `other`, or a rejection (an error). Resolves once every
 * operation has settled.
 */
export async function fixedRate(
  rate: number,
  seconds: number,
  issue: (n: number) => Promise<'ok' | 'other'>,
): Promise<OpenLoopRun> {
  const run: OpenLoopRun = {
    sent: 0,
    ok: 0,
    other: 0,
    errors: 0,
    seconds: 0,
    samples: [],
    maxLagMs: 0,
    cpuMsPerRequest: 0,
  }
  const cpu = process.cpuUsage()
  const pending = new Set<Promise<void>>()
  const start = (n: number) => {
    const t = performance.now()
    const p: Promise<void> = issue(n)
      .then(
        (outcome) => {
          if (outcome === 'ok') {
            run.ok++
            run.samples.push(performance.now() - t)
          } else run.other++
        },
        () => void run.errors++,
      )
      .finally(() => pending.delete(p))
    pending.add(p)
  }
  const total = Math.round(rate * seconds)
  const started = performance.now()
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = performance.now() - started
      const due = Math.min(total, Math.floor((elapsed / 1000) * rate))
      if (due > run.sent) run.maxLagMs = Math.max(run.maxLagMs, elapsed - (run.sent / rate) * 1000)
      while (run.sent < due) start(run.sent++)
      if (run.sent >= total) resolve()
      else setTimeout(tick, 1)
    }
    tick()
  })
  await Promise.allSettled([...pending])
  run.seconds = (performance.now() - started) / 1000
  const used = process.cpuUsage(cpu)
  run.cpuMsPerRequest = (used.user + used.system) / 1000 / Math.max(1, run.sent)
  return run
}

/**
 * Open-loop HTTP load at a fixed rate (fixedRate): POSTs of `body` to `paths` in turn, over up to
 * `maxSockets` keep-alive connections. autocannon's rate mode is closed-loop and bursty (each
 * connection sends as fast as it can until its quota for the current second is used, then waits for
 * the next second), so a stall of the server delays the requests behind it instead of adding them
 * to the queue; a fixed-rate figure needs requests that keep arriving. Latency is measured from when
 * a request is issued to the end of its answer, so time queued behind a busy connection counts; a
 * 2xx answer is `ok`.
 */
export async function openLoop(options: {
  url: string
  paths: string[]
  headers: Record<string, string>
  body: string
  rate: number
  seconds: number
  maxSockets?: number
  /** Called just before request `n` (0-based) is issued, e.g. to change what the request will find. */
  beforeIssue?: (n: number) => void
}): Promise<OpenLoopRun> {
  const target = new URL(options.url)
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 })
  const payload = Buffer.from(options.body)
  const headers = {
    ...options.headers,
    'content-type': 'application/json',
    'content-length': String(payload.length),
  }
  const post = (path: string) =>
    new Promise<'ok' | 'other'>((resolve, reject) => {
      const req = http.request(
        { agent, host: target.hostname, port: target.port, path, method: 'POST', headers },
        (res) => {
          res.on('data', () => undefined)
          res.on('end', () => {
            const status = res.statusCode ?? 0
            resolve(status >= 200 && status < 300 ? 'ok' : 'other')
          })
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end(payload)
    })
  try {
    return await fixedRate(options.rate, options.seconds, (n) => {
      options.beforeIssue?.(n)
      return post(options.paths[n % options.paths.length]!)
    })
  } finally {
    agent.destroy()
  }
}
