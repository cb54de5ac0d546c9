import { readFileSync } from 'node:fs'
import pg from 'pg'

/**
 * Where the CPU went during a measurement, to explain a throughput gap: CPU time of the server
 * process, of the PostgreSQL backends connected to the bench database (other databases on the same
 * server are not counted), and of this load-generating process. Linux /proc only; elsewhere the
 * CPU figures are null. (PostgreSQL's own per-database counters are not used: backends flush them
 * lazily, up to 10 s late, which skews short runs.)
 */
export type Usage = {
  serverCpuMs: number | null
  /** CPU ms per backend pid of the bench database */
  backends: Map<number, number>
  benchCpuMs: number
  /** The whole machine's CPU ticks (all CPUs) and the part of them the hypervisor stole; null off Linux. */
  machine: { totalTicks: number; stealTicks: number } | null
}

const TICK_MS = 10 // USER_HZ is 100 on every Linux this runs on

function procCpuMs(pid: number | string): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // fields[0] is field 3 (state): utime is field 14, stime field 15
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS
  } catch {
    return null
  }
}

/**
 * /proc/stat's first line: ticks spent in each state by all CPUs together. "steal" is time this VM
 * was ready to run but the hypervisor ran someone else: the noise no code change can remove.
 */
export function machineTicks(): Usage['machine'] {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number) // user nice system idle iowait irq softirq steal
    if (f.length < 8 || f.some((v) => !Number.isFinite(v))) return null
    return { totalTicks: f.reduce((a, b) => a + b, 0), stealTicks: f[7]! }
  } catch {
    return null
  }
}

export class UsageProbe {
  private constructor(private readonly db: pg.Client) {}

  static async open(databaseUrl: string): Promise<UsageProbe> {
    const db = new pg.Client({ connectionString: databaseUrl })
    db.on('error', () => undefined) // its queries fail instead
    await db.connect()
    return new UsageProbe(db)
  }

  async snapshot(serverPid: number): Promise<Usage> {
    const { rows } = await this.db.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    )
    const backends = new Map<number, number>()
    for (const { pid } of rows) {
      const ms = procCpuMs(pid)
      if (ms !== null) backends.set(pid, ms)
    }
    const cpu = process.cpuUsage()
    return {
      serverCpuMs: procCpuMs(serverPid),
      backends,
      benchCpuMs: (cpu.user + cpu.system) / 1000,
      machine: machineTicks(),
    }
  }

  close(): Promise<void> {
    return this.db.end()
  }
}

export type Cost = {
  serverCpuMs: number | null
  postgresCpuMs: number | null
  benchCpuMs: number
  /** Ticks of the whole machine, and those stolen by the hypervisor, between the snapshots. */
  machineTicks: number | null
  stolenTicks: number | null
}

/** CPU spent between two snapshots (a backend that appeared meanwhile counts from zero). */
export function spent(a: Usage, b: Usage): Cost {
  let pgMs = 0
  for (const [pid, ms] of b.backends) pgMs += ms - (a.backends.get(pid) ?? 0)
  return {
    serverCpuMs: a.serverCpuMs === null || b.serverCpuMs === null ? null : b.serverCpuMs - a.serverCpuMs,
    postgresCpuMs: b.backends.size ? pgMs : null,
    benchCpuMs: b.benchCpuMs - a.benchCpuMs,
    machineTicks: a.machine && b.machine ? b.machine.totalTicks - a.machine.totalTicks : null,
    stolenTicks: a.machine && b.machine ? b.machine.stealTicks - a.machine.stealTicks : null,
  }
}

/** `stolen` ticks as a percentage (one decimal) of `total`; null when no time passed. */
const stolenShare = (stolen: number, total: number) =>
  total > 0 ? Number(((100 * stolen) / total).toFixed(1)) : null

/** Percentage of the machine's CPU time the hypervisor stole over `costs` (null off Linux). */
export function stolenPercent(costs: Cost[]): number | null {
  if (costs.some((c) => c.machineTicks === null || c.stolenTicks === null)) return null
  return stolenShare(
    costs.reduce((a, c) => a + c.stolenTicks!, 0),
    costs.reduce((a, c) => a + c.machineTicks!, 0),
  )
}

export function perRequest(costs: Cost[], requests: number) {
  const sum = (f: (c: Cost) => number | null) =>
    costs.some((c) => f(c) === null)
      ? null
      : Number((costs.reduce((acc, c) => acc + f(c)!, 0) / requests).toFixed(4))
  return {
    serverCpuMsPerReq: sum((c) => c.serverCpuMs),
    postgresCpuMsPerReq: sum((c) => c.postgresCpuMs),
    loadGeneratorCpuMsPerReq: sum((c) => c.benchCpuMs),
  }
}

/** % of the machine's CPU time stolen by the hypervisor between two machineTicks() readings. */
export function stolenBetween(a: Usage['machine'], b: Usage['machine']): number | null {
  return a && b ? stolenShare(b.stealTicks - a.stealTicks, b.totalTicks - a.totalTicks) : null
}

/** A process's resident set (VmRSS) and its peak so far (VmHWM), in MB; null when it is gone. */
export function rss(pid: number): { rssMb: number; peakMb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 }
  } catch {
    return null
  }
}

/** Samples a process's VmRSS every `everyMs` until stop(); returns the largest (MB) and the count. */
export function sampleRss(pid: number, everyMs = 200): { stop(): { maxMb: number; samples: number } } {
  let maxMb = 0
  let samples = 0
  const take = () => {
    const r = rss(pid)
    if (r) {
      maxMb = Math.max(maxMb, r.rssMb)
      samples++
    }
  }
  take()
  const timer = setInterval(take, everyMs)
  return {
    stop() {
      clearInterval(timer)
      take()
      return { maxMb, samples }
    },
  }
}
