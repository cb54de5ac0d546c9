/**
 * Issue 17's crash target (13, `eventcrash`): `kill -9` of the service during delivery, with the
 * subscriber down for BENCH_EVENTCRASH_DOWN_SEC (60). One endpoint, whose subscriber answers after
 * 50 ms (so deliveries are in flight at any moment); committed KYC status changes at
 * BENCH_EVENTCRASH_RATE (as in events.ts; with the `direct` driver they keep committing while no
 * service runs, so the restarted one finds events it never saw notified):
 *   1. changes for a few seconds, all delivered as they come;
 *   2. as soon as a delivery is leased (in flight), SIGKILL the service, then take the subscriber down
 *      (it stops listening, its connections are cut);
 *   3. start a new service process on the same database and keep committing changes for a few
 *      seconds: their deliveries fail (connection refused) and back off, a customer's later events
 *      held behind its first undelivered one;
 *   4. the subscriber comes back DOWN_SEC after the kill; wait until every event committed since the
 *      endpoint was registered has arrived (at most DOWN_SEC + 5 min: the back-off reaches ~40-80 s
 *      between attempts after a minute of failures, at the default EVENT_WEBHOOK_RETRY_BASE of 5 s).
 * Then, from the receipts (events.id is the truth): lost (never received), per-customer order (the
 * receipts of each customer, duplicates included, never go back in `sequence`, and its first receipts
 * are its events in sequence order) and duplicates (the same event twice always with the same
 * `webhook-id`; never two ids for one customer's sequence).
 */
import { connectClient, startService, type ChildServer } from './lib/processes.js'
import { createCustomers } from './lib/seed.js'
import { startStack } from './lib/stack.js'
import { round } from './lib/stats.js'
import { startSubscriber, type Receipt } from './lib/subscriber.js'
import type { BenchContext, SectionResult } from './lib/types.js'
import { serviceEnv } from '../test/support/test-app.js'
import {
  changesFor,
  collect,
  committedAfter,
  eventMark,
  EVENTS_STACK_SETTINGS,
  type CommittedEvent,
} from './events.js'

const BEFORE_SEC = 3
const AFTER_SEC = 5
const SLOW_ANSWER_MS = 50

/** Per customer: receipts that went back in sequence, and whether its first receipts are its events in order. */
function orderCheck(expected: CommittedEvent[], receipts: Receipt[]) {
  const byCustomer = new Map<string, Receipt[]>()
  for (const r of receipts) byCustomer.set(r.customerId, [...(byCustomer.get(r.customerId) ?? []), r])
  const want = new Map<string, string[]>()
  for (const e of expected) want.set(e.customerId, [...(want.get(e.customerId) ?? []), e.id])
  let backwards = 0
  let customersOutOfOrder = 0
  for (const [customer, ids] of want) {
    const rs = byCustomer.get(customer) ?? []
    for (let i = 1; i < rs.length; i++) if (rs[i]!.sequence < rs[i - 1]!.sequence) backwards++
    const firsts: string[] = []
    for (const r of rs) if (!firsts.includes(r.eventId) && ids.includes(r.eventId)) firsts.push(r.eventId)
    if (firsts.join() !== ids.join()) customersOutOfOrder++
  }
  return { backwards, customersOutOfOrder }
}

export async function benchEventCrash(ctx: BenchContext): Promise<SectionResult> {
  const { eventCrashRate: rate, eventCrashDownSec: downSec } = ctx.options
  const stack = await startStack(ctx, 'eventcrash', { settings: EVENTS_STACK_SETTINGS })
  const sub = await startSubscriber()
  const db = await connectClient(stack.databaseUrl)
  let second: ChildServer | null = null
  const changes = changesFor(ctx, stack)
  try {
    const customers = await createCustomers(stack.api, Math.ceil(rate), 'eventcrash')
    stack.emulator.setLatency(ctx.options.latencyMs)
    await sub.register(stack.api, 'main', 'ok', { delayMs: SLOW_ANSWER_MS })
    const mark = await eventMark(db)
    const drive = (url: string, seconds: number) => changes.drive(url, customers, rate, seconds)

    ctx.progress(`eventcrash: ${rate} changes/s; kill -9 after ${BEFORE_SEC} s, as a delivery is in flight`)
    // The first run keeps issuing while the service dies: requests after the kill fail, commit nothing.
    const firstRun = drive(stack.service.url, BEFORE_SEC + 1)
    await new Promise((r) => setTimeout(r, BEFORE_SEC * 1000))
    let leasedAtKill = 0
    const leaseDeadline = Date.now() + 5_000
    while (leasedAtKill === 0 && Date.now() < leaseDeadline) {
      const r = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM event_deliveries WHERE status = 'pending' AND lease_until > now()`,
      )
      leasedAtKill = r.rows[0]!.n
    }
    const exited = new Promise((r) => stack.service.child.once('exit', r))
    stack.service.child.kill('SIGKILL')
    await exited
    const killedAt = Date.now()
    await sub.down()
    const subscriberBack = new Promise<void>((resolve) =>
      setTimeout(() => void sub.up().then(() => resolve()), downSec * 1000),
    )
    const before = await firstRun
    ctx.progress(
      `eventcrash: killed with ${leasedAtKill} leased; subscriber down for ${downSec} s; restarting`,
    )
    const env = serviceEnv(stack.emulator, stack.databaseUrl, {
      ...ctx.serviceSettings,
      ...EVENTS_STACK_SETTINGS,
    })
    second = await startService(env, 'service-eventcrash-restarted')
    const restartMs = Date.now() - killedAt
    const after = await drive(second.url, AFTER_SEC)
    await subscriberBack
    const backAt = Date.now()
    ctx.progress(`eventcrash: subscriber up again; waiting for every event`)
    const expected = await committedAfter(db, mark)
    const got = await collect(sub, expected, ['main'], 5 * 60_000)
    const drainSec = (Date.now() - backAt) / 1000

    const received = new Set(got.receipts.map((r) => r.eventId))
    const lost = expected.filter((e) => !received.has(e.id)).length
    const duplicates = got.receipts.length - new Set(got.receipts.map((r) => r.webhookId)).size
    const idsPerSequence = new Map<string, Set<string>>()
    for (const r of got.receipts) {
      const k = `${r.customerId}#${r.sequence}`
      idsPerSequence.set(k, (idsPerSequence.get(k) ?? new Set()).add(r.webhookId))
    }
    const foreignDuplicates =
      [...idsPerSequence.values()].filter((s) => s.size > 1).length +
      got.receipts.filter((r) => r.webhookId !== r.eventId).length
    const order = orderCheck(expected, got.receipts)
    const pass =
      lost === 0 &&
      foreignDuplicates === 0 &&
      order.backwards === 0 &&
      order.customersOutOfOrder === 0 &&
      got.invalid === 0 &&
      leasedAtKill > 0
    const committed = expected.length
    return {
      key: 'eventsCrash',
      title: `13. Events: kill -9 of the service during delivery, subscriber down for ${downSec} s (${rate} changes/s, ${BEFORE_SEC} s before the kill, ${AFTER_SEC} s after the restart)`,
      rows: [
        ['deliveries leased (in flight) at the kill', String(leasedAtKill)],
        ['service restarted after', `${(restartMs / 1000).toFixed(1)} s`],
        [
          'committed changes',
          `${committed} (${before.ok} applied in the run the kill interrupts, ${before.errors + before.other} not; ${after.ok} after the restart)`,
        ],
        [
          'all received after the subscriber came back',
          `${got.complete ? 'yes' : 'NO'}, in ${drainSec.toFixed(1)} s`,
        ],
        [
          'lost / duplicates (same webhook-id) / other duplicates',
          `${lost} / ${duplicates} / ${foreignDuplicates}`,
        ],
        [
          'order: receipts going back / customers out of order',
          `${order.backwards} / ${order.customersOutOfOrder} of ${new Set(expected.map((e) => e.customerId)).size}`,
        ],
        ['bad signatures', String(got.invalid)],
      ],
      targets: [
        {
          name: `kill -9 during delivery, subscriber down ${downSec} s: 0 lost, per-customer order, duplicates only with the same webhook-id`,
          target: '0 lost, 0 out of order, 0 other duplicates',
          measured: `${lost} lost, ${order.backwards + order.customersOutOfOrder} out of order, ${foreignDuplicates} other duplicates (${duplicates} same-id); ${leasedAtKill} in flight at the kill`,
          pass,
        },
      ],
      data: {
        rate,
        subscriberDownSec: downSec,
        subscriberAnswerMs: SLOW_ANSWER_MS,
        beforeKillSec: BEFORE_SEC,
        afterRestartSec: AFTER_SEC,
        leasedAtKill,
        restartSec: round(restartMs / 1000, 1),
        committedChanges: committed,
        receipts: got.receipts.length,
        lost,
        sameIdDuplicates: duplicates,
        otherDuplicates: foreignDuplicates,
        orderBackwards: order.backwards,
        customersOutOfOrder: order.customersOutOfOrder,
        badSignatures: got.invalid,
        complete: got.complete,
        drainAfterSubscriberBackSec: round(drainSec, 1),
      },
    }
  } finally {
    await changes.close()
    await db.end()
    sub.stop()
    await second?.stop()
    await stack.stop()
  }
}
