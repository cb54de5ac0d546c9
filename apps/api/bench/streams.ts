/**
 * Issue 20's stream targets. The streams are `GET /v1/customers/:id/kyc/events?access_token=` with
 * a client token minted through the service (`POST /v1/customers/:id/client-tokens`), held by
 * bench/stream-client.ts in its own process (parsed with `eventsource-parser`).
 *
 * 16. `stream`: cross-instance latency. Two service instances on one database; BENCH_STREAM_CUSTOMERS
 *     (100) customers, each with a stream open on instance B; BENCH_STREAM_RATE (20) status changes
 *     per second for BENCH_STREAM_SECONDS (10) committed through instance A: open-loop
 *     `POST /v1/customers/:id/kyc/sync` on A, the customer's Align state flipped pending <-> rejected
 *     just before (lib/subscriber.ts driveStatusChanges), round-robin, so each customer changes every
 *     customers / rate seconds. Commit time is the change's `kyc_status_history.recorded_at` (the
 *     same instant as the customer's `kyc_updated_at`, so the event's `updatedAt`): taken on A after
 *     the row lock, before the UPDATE, the event's INSERT and the COMMIT, so the figure errs long by
 *     those statements (an upper bound); receipt time the stream client's clock when the event had
 *     arrived (same machine clock). Every history row committed must arrive on its customer's stream
 *     (matched on customer and `updatedAt`). Target: p50 <= 200 ms, none missed.
 * 17. `streams`: BENCH_STREAMS (1000) open streams on one instance, 1000 customers one each: the
 *     service's VmRSS (/proc/<pid>/status, as section 6) BENCH_STREAMS_SETTLE_SEC after a warm-link
 *     warm-up, and again that long after every stream had its first event; the database connections
 *     the service holds with and without them. Then warm-link throughput (warm-link.ts's rounds:
 *     autocannon, BENCH_CONNECTIONS, BENCH_ROUNDS x BENCH_DURATION_SEC per side) with the streams open
 *     vs with none (closed by the client before the round, opened again before the next),
 *     alternating. Targets: RSS growth <= 50 MB, throughput ratio >= 0.9.
 */
import type pg from 'pg'
import { connectClient } from './lib/processes.js'
import { perRequest, rss, spent, UsageProbe } from './lib/resources.js'
import { createCustomers, createWarmCustomers, linkPath } from './lib/seed.js'
import { startStack } from './lib/stack.js'
import { latency, ms, round, roundLatency } from './lib/stats.js'
import { startStreamClient, streamsFor, type StreamClient, type StreamReceipt } from './lib/stream-client.js'
import { driveStatusChanges, until } from './lib/subscriber.js'
import type { BenchContext, SectionResult } from './lib/types.js'
import { cannon, merge, sideData, sideRow, warmRounds } from './warm-link.js'

const LATENCY_TARGET_MS = 200
const RSS_TARGET_MB = 50
const RATIO_TARGET = 0.9
const WARMUP_SEC = 3
const DRAIN_TIMEOUT_MS = 30_000

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The latest kyc_status_history.recorded_at: the changes of a run are those after it. */
async function historyMark(db: pg.Client): Promise<Date> {
  const r = await db.query<{ at: Date | null }>('SELECT max(recorded_at) AS at FROM kyc_status_history')
  return r.rows[0]!.at ?? new Date(0)
}

type Committed = { customerId: string; recordedAt: Date }

async function committedSince(db: pg.Client, mark: Date): Promise<Committed[]> {
  const r = await db.query<Committed>(
    `SELECT customer_id::text AS "customerId", recorded_at AS "recordedAt"
       FROM kyc_status_history WHERE recorded_at > $1 ORDER BY recorded_at`,
    [mark],
  )
  return r.rows
}

const keyOf = (customerId: string, at: string) => `${customerId} ${at}`

/** Takes the client's receipts until every change of `expected` has arrived, or `timeoutMs` passed. */
async function received(client: StreamClient, expected: Committed[], timeoutMs: number) {
  const want = new Set(expected.map((c) => keyOf(c.customerId, c.recordedAt.toISOString())))
  const got = new Map<string, StreamReceipt>()
  const receipts: StreamReceipt[] = []
  let endedByServer = 0
  const complete = await until(async () => {
    const t = await client.take()
    endedByServer = t.endedByServer
    for (const r of t.receipts) {
      receipts.push(r)
      const k = keyOf(r.key, r.updatedAt)
      if (want.has(k) && !got.has(k)) got.set(k, r)
    }
    return got.size === want.size
  }, timeoutMs)
  return { got, receipts, complete, endedByServer }
}

export async function benchStream(ctx: BenchContext): Promise<SectionResult> {
  const { streamCustomers: n, streamRate: rate, streamSeconds: seconds, latencyMs } = ctx.options
  const stack = await startStack(ctx, 'stream', { instances: 2 })
  const a = stack.services[0]!
  const b = stack.services[1]!
  const client = await startStreamClient()
  const db = await connectClient(stack.databaseUrl)
  try {
    ctx.progress(`stream: ${n} customers, each with a client token and a stream on instance B`)
    const customers = await createCustomers(stack.api, n, 'stream')
    const opened = await client.open(await streamsFor(stack.api, b.url, customers))
    if (opened.failed.length)
      throw new Error(`stream: ${opened.failed.length} streams failed: ${JSON.stringify(opened.failed[0])}`)
    stack.emulator.setLatency(latencyMs)
    const drive = (sec: number) =>
      driveStatusChanges({
        emulator: stack.emulator,
        url: a.url,
        token: stack.token,
        customers,
        rate,
        seconds: sec,
      })

    ctx.progress(`stream: warm-up, ${rate} changes/s through A for ${WARMUP_SEC} s`)
    const warmMark = await historyMark(db)
    await drive(WARMUP_SEC)
    await received(client, await committedSince(db, warmMark), DRAIN_TIMEOUT_MS)

    ctx.progress(`stream: ${rate} status changes/s committed through A for ${seconds} s, received on B`)
    const mark = await historyMark(db)
    const probe = await UsageProbe.open(stack.databaseUrl)
    const u0 = await probe.snapshot(b.pid)
    const run = await drive(seconds)
    const expected = await committedSince(db, mark)
    const got = await received(client, expected, DRAIN_TIMEOUT_MS)
    const bCpuMs = (await probe.snapshot(b.pid)).serverCpuMs
    await probe.close()

    const lat = latency([...got.got.values()].map((r) => r.receivedAtMs - Date.parse(r.updatedAt)))
    const missed = expected.length - got.got.size
    const committedRate = expected.length / run.seconds
    const atRate = committedRate >= 0.95 * rate
    const call = latency(run.samples)
    const bCpuPerChange =
      bCpuMs === null || u0.serverCpuMs === null
        ? null
        : (bCpuMs - u0.serverCpuMs) / Math.max(1, expected.length)
    const pass = lat.p50 <= LATENCY_TARGET_MS && missed === 0 && got.endedByServer === 0 && atRate
    return {
      key: 'streamCrossInstance',
      title: `16. KYC status stream: a change committed on instance A (sync, ${rate}/s for ${seconds} s) to its event on a stream held by instance B, ${n} streams`,
      rows: [
        [
          'committed status changes (history rows)',
          `${expected.length} (${committedRate.toFixed(1)}/s) of ${run.sent} syncs issued on A (${run.ok} ok, ${run.other} non-2xx, ${run.errors} errors)`,
        ],
        [
          'commit (recorded_at, before COMMIT) to receipt on B',
          `p50 ${ms(lat.p50)}  p90 ${ms(lat.p90)}  p99 ${ms(lat.p99)}  max ${ms(lat.max)} (${lat.samples} samples)`,
        ],
        [
          'missed / streams ended by the server / events received',
          `${missed} / ${got.endedByServer} / ${got.receipts.length}`,
        ],
        ['sync request on A (includes the Align read)', `p50 ${ms(call.p50)}  p99 ${ms(call.p99)}`],
        [
          'streams opened on B',
          `${opened.opened} in ${opened.ms.toFixed(0)} ms; B's CPU per change (its relay and timers included) ${bCpuPerChange === null ? 'n/a' : `${bCpuPerChange.toFixed(3)} ms`}`,
        ],
      ],
      targets: [
        {
          name: `stream: change committed on instance A to the event on B's stream, p50 <= ${LATENCY_TARGET_MS} ms, none missed`,
          target: `p50 <= ${LATENCY_TARGET_MS} ms, 0 missed`,
          measured: `p50 ${ms(lat.p50)} (p99 ${ms(lat.p99)}), ${missed} missed${got.endedByServer ? `, ${got.endedByServer} streams ended` : ''}${atRate ? '' : `, only ${committedRate.toFixed(0)} changes/s`}`,
          pass,
        },
      ],
      data: {
        customers: n,
        rate,
        seconds,
        alignLatencyMs: latencyMs,
        driver: `open-loop POST /v1/customers/:id/kyc/sync on instance A, Align flipped pending <-> rejected before each`,
        commitTime:
          "kyc_status_history.recorded_at (= the event's updatedAt), set on A after the row lock and before the UPDATE, the event INSERT and COMMIT: an upper bound",
        receiptTime:
          "the stream client's (bench/stream-client.ts, own process) wall clock when the event arrived",
        committed: expected.length,
        committedPerSec: round(committedRate, 1),
        commitToReceipt: roundLatency(lat),
        missed,
        endedByServer: got.endedByServer,
        eventsReceived: got.receipts.length,
        complete: got.complete,
        syncCall: roundLatency(call),
        generatorMaxLagMs: round(run.maxLagMs, 1),
        streamsOpenMs: round(opened.ms, 0),
        instanceBCpuMsPerChange: bCpuPerChange === null ? null : round(bCpuPerChange),
      },
    }
  } finally {
    client.stop()
    await db.end()
    await stack.stop()
  }
}

/** Database connections open from the service (every backend on the bench database but the probe's). */
async function serviceConnections(probe: UsageProbe, pid: number): Promise<number> {
  return (await probe.snapshot(pid)).backends.size
}

export async function benchStreams(ctx: BenchContext): Promise<SectionResult> {
  const {
    streams: n,
    streamsSettleSec: settle,
    connections,
    durationSec,
    rounds,
    warmCustomers,
  } = ctx.options
  const stack = await startStack(ctx, 'streams')
  const pid = stack.service.pid
  const client = await startStreamClient()
  const probe = await UsageProbe.open(stack.databaseUrl)
  try {
    ctx.progress(`streams: ${n} customers with a client token each, ${warmCustomers} with a live link`)
    const streams = await streamsFor(
      stack.api,
      stack.service.url,
      await createCustomers(stack.api, n, 'streams'),
    )
    const paths = (await createWarmCustomers(stack.api, warmCustomers, 'streams')).map(linkPath)
    stack.emulator.setLatency(ctx.options.latencyMs)
    ctx.progress(`streams: warm-link warm-up, 3 s (${connections} connections), then ${settle} s to settle`)
    await cannon(stack.service.url, stack.token, paths, connections, 3)
    await sleep(settle * 1000)
    const before = rss(pid)
    const connectionsBefore = await serviceConnections(probe, pid)
    if (!before) throw new Error(`streams: no /proc/${pid}/status (not Linux, or the service exited)`)

    ctx.progress(`streams: opening ${n} streams, then ${settle} s to settle`)
    const u0 = await probe.snapshot(pid)
    const opened = await client.open(streams)
    const openCost = perRequest([spent(u0, await probe.snapshot(pid))], n)
    if (opened.failed.length)
      throw new Error(`streams: ${opened.failed.length} streams failed: ${JSON.stringify(opened.failed[0])}`)
    await sleep(settle * 1000)
    const after = rss(pid)!
    const connectionsOpen = await serviceConnections(probe, pid)
    const growthMb = after.rssMb - before.rssMb

    let open = true
    const ensure = (want: boolean) => async () => {
      if (want && !open) {
        const again = await client.open(streams)
        if (again.failed.length)
          throw new Error(`streams: ${again.failed.length} streams failed to open again`)
      }
      if (!want && open) await client.close()
      open = want
      await sleep(1000)
    }
    ctx.progress(
      `streams: warm-link rounds with ${n} streams open vs none, ${rounds}×${durationSec} s per side`,
    )
    const { runs } = await warmRounds(ctx, 'streams', {
      probe,
      token: stack.token,
      paths,
      sides: [
        { name: 'streams', url: stack.service.url, pid, before: ensure(true) },
        { name: 'none', url: stack.service.url, pid, before: ensure(false) },
      ],
    })
    const ended = (await client.take()).endedByServer // since the start, whatever is open now
    await ensure(false)()
    await sleep(settle * 1000)
    const closedRss = rss(pid)

    const withStreams = merge(runs[0]!)
    const none = merge(runs[1]!)
    const ratio = withStreams.rps / none.rps
    const clean = withStreams.other + withStreams.errors + none.other + none.errors === 0 && ended === 0
    return {
      key: 'streamsOpen',
      title: `17. ${n} open KYC status streams on one instance: VmRSS, and warm-link throughput with them vs none (${connections} connections, ${rounds}×${durationSec} s per side, alternating)`,
      rows: [
        [
          'VmRSS before / with the streams open / after closing them',
          `${before.rssMb.toFixed(1)} / ${after.rssMb.toFixed(1)} / ${closedRss ? closedRss.rssMb.toFixed(1) : 'n/a'} MB (each ${settle} s after)`,
        ],
        [
          'growth with the streams open',
          `${growthMb.toFixed(1)} MB (${((growthMb * 1024) / n).toFixed(1)} KB per stream)`,
        ],
        [
          `streams opened`,
          `${opened.opened} in ${opened.ms.toFixed(0)} ms (CPU per stream: service ${openCost.serverCpuMsPerReq ?? 'n/a'} ms, PostgreSQL ${openCost.postgresCpuMsPerReq ?? 'n/a'} ms); ended by the server during the section: ${ended}`,
        ],
        [
          'database connections of the service (its pool, at most 20, and one LISTEN)',
          `${connectionsBefore} before, ${connectionsOpen} with the streams open`,
        ],
        [`with ${n} streams open`, sideRow(withStreams)],
        ['with none', sideRow(none)],
        ['ratio streams/none', ratio.toFixed(2)],
        [
          'service CPU ms per request, streams / none (steadier than req/s on a shared machine)',
          `${withStreams.cost.serverCpuMsPerReq ?? 'n/a'} / ${none.cost.serverCpuMsPerReq ?? 'n/a'}`,
        ],
      ],
      targets: [
        {
          name: `${n} open streams: service VmRSS growth`,
          target: `<= ${RSS_TARGET_MB} MB`,
          measured: `${growthMb.toFixed(1)} MB`,
          pass: growthMb <= RSS_TARGET_MB,
        },
        {
          name: `${n} open streams: warm-link throughput ratio (streams/none)`,
          target: `>= ${RATIO_TARGET.toFixed(2)}`,
          measured: ratio.toFixed(2),
          pass: ratio >= RATIO_TARGET && clean,
        },
      ],
      data: {
        streams: n,
        settleSec: settle,
        source: '/proc/<pid>/status VmRSS of the service process',
        rssBeforeMb: round(before.rssMb, 1),
        rssOpenMb: round(after.rssMb, 1),
        rssAfterCloseMb: closedRss ? round(closedRss.rssMb, 1) : null,
        rssGrowthMb: round(growthMb, 1),
        rssGrowthKbPerStream: round((growthMb * 1024) / n, 1),
        streamsOpenMs: round(opened.ms, 0),
        openCpuPerStream: { service: openCost.serverCpuMsPerReq, postgres: openCost.postgresCpuMsPerReq },
        endedByServer: ended,
        databaseConnectionsBefore: connectionsBefore,
        databaseConnectionsWithStreams: connectionsOpen,
        warmCustomers,
        connections,
        durationSecPerRound: durationSec,
        rounds,
        order: 'each round: streams open, then none (the client closes them; opened again before the next)',
        withStreams: sideData(withStreams),
        none: sideData(none),
        ratio: round(ratio),
      },
    }
  } finally {
    client.stop()
    await probe.close()
    await stack.stop()
  }
}
