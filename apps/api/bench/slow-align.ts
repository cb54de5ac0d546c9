/**
 * Target 1: a slow Align must not stall anything else. On its own stack: warm customers (each with a
 * live link) and BENCH_SLOW_COLD fresh customers are created first, then every Align route answers
 * after BENCH_SLOW_LATENCY_MS (1000). A warm-link load runs (autocannon, BENCH_CONNECTIONS, closed
 * loop) while all the cold link requests (one per fresh customer, at once) wait on Align, and
 * `GET /health/ready` is polled every 100 ms throughout with a 1 s timeout (a Kubernetes probe's
 * default). The warm p99 is over the warm requests that overlapped the cold window (first cold
 * request sent to last answered); the readiness check counts every poll from before the cold
 * requests to after the last one. The warm load runs in its own process (cannon-child.ts): this one
 * hosts the emulator, whose 100 answers at once would otherwise be counted as warm-link latency.
 */
import { startCannonChild } from './lib/cannon.js'
import { HttpClient } from './lib/http.js'
import { createCustomers, createWarmCustomers, linkPath } from './lib/seed.js'
import { startStack } from './lib/stack.js'
import { latency, ms, round, roundLatency } from './lib/stats.js'
import type { BenchContext, SectionResult } from './lib/types.js'

const P99_TARGET_MS = 20
const READY_TIMEOUT_MS = 1000

export async function benchSlowAlign(ctx: BenchContext): Promise<SectionResult> {
  const { slowLatencyMs, slowColdLinks, warmCustomers, connections } = ctx.options
  const stack = await startStack(ctx, 'slow align')
  try {
    ctx.progress(`slow align: ${warmCustomers} warm and ${slowColdLinks} fresh customers`)
    const paths = (await createWarmCustomers(stack.api, warmCustomers, 'slow-warm')).map(linkPath)
    const cold = await createCustomers(stack.api, slowColdLinks, 'slow-cold')
    stack.emulator.setLatency(slowLatencyMs)
    stack.emulator.resetCalls()

    const ready = pollReady(stack.service.url)
    // On the epoch clock, as the load generator's sample ends are.
    const now = () => performance.timeOrigin + performance.now()
    let coldStart = 0
    let coldEnd = 0
    const coldClient = new HttpClient(
      stack.service.url,
      { authorization: `Bearer ${stack.token}` },
      slowColdLinks,
    )
    const load = await startCannonChild(
      {
        url: stack.service.url,
        connections,
        duration: 120, // stopped 0.5 s after the last cold answer
        headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
        requests: paths.map((path) => ({ method: 'POST' as const, path, body: '{}' })),
      },
      200,
    )
    const coldDone = (async () => {
      await new Promise((r) => setTimeout(r, 1000)) // the warm load runs alone first
      ctx.progress(`slow align: ${slowColdLinks} cold link requests at once, Align at ${slowLatencyMs} ms`)
      coldStart = now()
      const replies = await Promise.all(
        cold.map(async (c) => {
          const t = performance.now()
          const r = await coldClient.request('POST', linkPath(c.id), {}).catch((e: Error) => ({
            status: 0,
            body: e.message,
          }))
          return { status: r.status, ms: performance.now() - t }
        }),
      )
      coldEnd = now()
      return replies
    })()
    await coldDone.then(() => new Promise((r) => setTimeout(r, 500)))
    await load.stop()
    const warm = await load.run
    const replies = await coldDone
    const polls = await ready.stop()
    coldClient.close()
    const calls = stack.emulator.calls()

    const during: number[] = []
    for (let i = 0; i < warm.samples.length; i++) {
      const end = warm.ends[i]!
      if (end >= coldStart && end - warm.samples[i]! <= coldEnd) during.push(warm.samples[i]!)
    }
    const warmLat = latency(during)
    const coldLat = latency(replies.map((r) => r.ms))
    const coldStatuses = countBy(replies.map((r) => String(r.status)))
    const badPolls = polls.filter((p) => p.status !== 200)
    const pollLat = latency(polls.map((p) => p.ms))
    const warmClean = warm.other + warm.errors === 0
    const statusText = (c: Record<string, number>) =>
      Object.entries(c)
        .map(([k, v]) => `${v}×${k}`)
        .join(', ')
    return {
      key: 'slowAlign',
      title: `1. Warm links while ${slowColdLinks} cold links for different customers wait on Align at ${slowLatencyMs} ms (every route)`,
      rows: [
        [
          'warm link during the cold window',
          `p50 ${ms(warmLat.p50)}  p99 ${ms(warmLat.p99)}  max ${ms(warmLat.max)}  (${warmLat.samples} requests, ${connections} connections)`,
        ],
        ['warm link non-200 / errors (whole load)', `${warm.other} / ${warm.errors}`],
        [
          'cold links',
          `${statusText(coldStatuses)}; all answered in ${((coldEnd - coldStart) / 1000).toFixed(2)} s; p50 ${ms(coldLat.p50)}, max ${ms(coldLat.max)}`,
        ],
        [
          'GET /health/ready polls',
          `${polls.length}, ${badPolls.length} not 200 within ${READY_TIMEOUT_MS} ms (${statusText(countBy(badPolls.map((p) => String(p.status))))}); p50 ${ms(pollLat.p50)}, max ${ms(pollLat.max)}`,
        ],
        [
          'Align calls',
          Object.entries(calls)
            .map(([k, v]) => `${k}: ${v}`)
            .join('; ') || 'none',
        ],
      ],
      targets: [
        {
          name: 'warm link p99 while cold links wait on a slow Align',
          target: `<= ${P99_TARGET_MS} ms`,
          measured: `${ms(warmLat.p99)} (${warm.other + warm.errors} non-200/errors)`,
          pass: warmLat.samples > 0 && warmLat.p99 <= P99_TARGET_MS && warmClean,
        },
        {
          name: '/health/ready 200 throughout',
          target: `every poll 200 within ${READY_TIMEOUT_MS} ms`,
          measured: `${polls.length - badPolls.length}/${polls.length}`,
          pass: polls.length > 0 && badPolls.length === 0,
        },
      ],
      data: {
        alignLatencyMs: slowLatencyMs,
        coldLinks: slowColdLinks,
        warmConnections: connections,
        warmDuringColdWindow: roundLatency(warmLat),
        warmNon200: warm.other,
        warmErrors: warm.errors,
        coldWindowMs: round(coldEnd - coldStart, 1),
        coldStatuses,
        coldLatency: roundLatency(coldLat),
        readyPolls: polls.length,
        readyNot200: badPolls.length,
        readyStatusesNot200: countBy(badPolls.map((p) => String(p.status))),
        readyLatency: roundLatency(pollLat),
        readyTimeoutMs: READY_TIMEOUT_MS,
        alignCalls: calls,
      },
    }
  } finally {
    await stack.stop()
  }
}

/** Polls GET /health/ready every 100 ms, one at a time; status 0 = no answer within the timeout. */
function pollReady(base: string) {
  const polls: { status: number; ms: number }[] = []
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      const t = performance.now()
      let status = 0
      try {
        const res = await fetch(`${base}/health/ready`, { signal: AbortSignal.timeout(READY_TIMEOUT_MS) })
        await res.arrayBuffer()
        status = res.status
      } catch {
        status = 0
      }
      polls.push({ status, ms: performance.now() - t })
      await new Promise((r) => setTimeout(r, 100))
    }
  })()
  return {
    async stop() {
      stopped = true
      await loop
      return polls
    },
  }
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const v of values) out[v] = (out[v] ?? 0) + 1
  return out
}
