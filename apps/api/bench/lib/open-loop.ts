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
 * Open-loop load at a fixed rate: requests are issued on a schedule (`rate` per second, evenly,
 * checked every millisecond), whether or not earlier ones have been answered, over up to
 * `maxSockets` keep-alive connections. autocannon's rate mode is closed-loop and bursty (each
 * connection sends as fast as it can until its quota for the current second is used, then waits for
 * the next second), so a stall of the server delays the requests behind it instead of adding them
 * to the queue; a fixed-rate figure needs requests that keep arriving. Latency is measured from when
 * a request is issued to the end of its answer, so time queued behind a busy connection counts.
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
  let outstanding = 0
  let drained: (() => void) | null = null
  const finish = () => {
    if (--outstanding === 0 && drained) drained()
  }
  const issue = (path: string) => {
    outstanding++
    const t = performance.now()
    const req = http.request(
      { agent, host: target.hostname, port: target.port, path, method: 'POST', headers },
      (res) => {
        res.on('data', () => undefined)
        res.on('end', () => {
          const status = res.statusCode ?? 0
          if (status >= 200 && status < 300) {
            run.ok++
            run.samples.push(performance.now() - t)
          } else run.other++
          finish()
        })
        res.on('error', () => (run.errors++, finish()))
      },
    )
    req.on('error', () => (run.errors++, finish()))
    req.end(payload)
  }
  const total = Math.round(options.rate * options.seconds)
  const started = performance.now()
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = performance.now() - started
      const due = Math.min(total, Math.floor((elapsed / 1000) * options.rate))
      if (due > run.sent) run.maxLagMs = Math.max(run.maxLagMs, elapsed - (run.sent / options.rate) * 1000)
      while (run.sent < due) {
        options.beforeIssue?.(run.sent)
        issue(options.paths[run.sent++ % options.paths.length]!)
      }
      if (run.sent >= total) resolve()
      else setTimeout(tick, 1)
    }
    tick()
  })
  if (outstanding > 0) await new Promise<void>((resolve) => (drained = resolve))
  run.seconds = (performance.now() - started) / 1000
  const used = process.cpuUsage(cpu)
  run.cpuMsPerRequest = (used.user + used.system) / 1000 / Math.max(1, run.sent)
  agent.destroy()
  return run
}
