/** Percentiles and formatting shared by the bench sections. */

export type Latency = { p50: number; p90: number; p99: number; max: number; mean: number; samples: number }

/** Nearest-rank percentiles over float milliseconds (autocannon's own histogram rounds to whole ms). */
export function latency(samples: ArrayLike<number>): Latency {
  const sorted = Float64Array.from(samples).sort()
  const n = sorted.length
  const at = (q: number) => (n === 0 ? NaN : sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!)
  let sum = 0
  for (const v of sorted) sum += v
  return {
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: n ? sorted[n - 1]! : NaN,
    mean: n ? sum / n : NaN,
    samples: n,
  }
}

export const ms = (v: number, digits = 2) => (Number.isFinite(v) ? `${v.toFixed(digits)} ms` : 'n/a')
export const round = (v: number, digits = 3) => (Number.isFinite(v) ? Number(v.toFixed(digits)) : null)

export function roundLatency(l: Latency) {
  return {
    p50Ms: round(l.p50),
    p90Ms: round(l.p90),
    p99Ms: round(l.p99),
    maxMs: round(l.max),
    meanMs: round(l.mean),
    samples: l.samples,
  }
}

/** A fixed-width text table. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

export type Target = { name: string; target: string; measured: string; pass: boolean }

export const progress = (msg: string) => process.stdout.write(`  … ${msg}\n`)
