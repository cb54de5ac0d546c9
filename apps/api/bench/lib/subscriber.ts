import type { AlignEmulator } from '@align-kyc/align-client/testing'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { PrismaService } from '../../src/database/prisma.service.js'
import { pgDatabase } from '../../src/database/sql.js'
import { KycRepository } from '../../src/kyc/kyc.repository.js'
import type { Receipt, SubscriberCommand, TakeAnswer } from '../subscriber.js'
import type { HttpClient } from './http.js'
import { latency, type Latency } from './stats.js'
import { fixedRate, openLoop, type OpenLoopRun } from './open-loop.js'
import { startIpcChild } from './processes.js'
import type { BenchCustomer } from './seed.js'

export type { Receipt, TakeAnswer }

type Without<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never

/** A running bench/subscriber.ts (through tsx), driven over IPC. */
export type Subscriber = {
  url: string
  /** Registers `name` with the service (POST /v1/webhook-endpoints) and in the subscriber; returns the endpoint id. */
  register(
    api: HttpClient,
    name: string,
    mode: 'ok' | '500' | 'hang',
    options?: { delayMs?: number; eventTypes?: string[] },
  ): Promise<string>
  take(): Promise<TakeAnswer>
  down(): Promise<void>
  up(): Promise<void>
  stop(): void
}

export async function startSubscriber(): Promise<Subscriber> {
  const child = await startIpcChild<{ ready: true; port: number }>('subscriber', 'subscriber.ts', {
    PORT: '0',
  })
  const { stop } = child
  const send = <T>(c: Without<SubscriberCommand, 'id'>) => child.send<T>(c)
  const port = child.ready.port
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    stop,
    async register(api, name, mode, { delayMs = 0, eventTypes = ['customer.kyc.updated'] } = {}) {
      const r = await api.expect([201], 'POST', '/v1/webhook-endpoints', {
        url: `${url}/e/${name}`,
        eventTypes,
        description: `bench ${name} (${mode})`,
      })
      const { id, secret } = r.json<{ id: string; secret: string }>()
      await send({ cmd: 'endpoint', name, secret, mode, delayMs })
      return id
    },
    take: () => send<TakeAnswer>({ cmd: 'take' }),
    down: () => send({ cmd: 'down' }),
    up: () => send({ cmd: 'up' }),
  }
}

const PENDING = { status: 'pending', sub_status: 'kyc_form_submission_started' }
const REJECTED = { status: 'rejected', sub_status: 'kyc_form_resubmission_required' }

const flipped = new Map<string, boolean>() // per Align customer: pending (true) or rejected, as last set

/**
 * Committed KYC status changes at a fixed rate: open-loop `POST /v1/customers/:id/kyc/sync`
 * (lib/open-loop.ts) round-robin over `customers`, each one's Align state flipped between `pending`
 * and `rejected` (an edge the domain allows both ways, forever) in the emulator just before its
 * request is issued, so every sync finds a change and commits it with its event. With as many
 * customers as the rate, a customer's previous sync has had a second to finish, so two never race
 * (the events table is the truth either way: a sync that finds nothing new commits nothing).
 */
export function driveStatusChanges(o: {
  emulator: AlignEmulator
  url: string
  token: string
  customers: BenchCustomer[]
  rate: number
  seconds: number
}): Promise<OpenLoopRun> {
  return openLoop({
    url: o.url,
    paths: o.customers.map((c) => `/v1/customers/${c.id}/kyc/sync`),
    headers: { authorization: `Bearer ${o.token}` },
    body: '{}',
    rate: o.rate,
    seconds: o.seconds,
    beforeIssue: (n) => {
      const c = o.customers[n % o.customers.length]!
      const next = !flipped.get(c.alignCustomerId)
      flipped.set(c.alignCustomerId, next)
      o.emulator.setKycState(c.alignCustomerId, next ? PENDING : REJECTED)
    },
  })
}

/** How the events sections commit status changes (BENCH_EVENTS_DRIVER). */
export type ChangeDriver = 'direct' | 'sync'

/**
 * The same committed changes as driveStatusChanges, without the HTTP request and the Align read in
 * front of each: at a fixed rate (issued on schedule, checked every millisecond, whether or not
 * earlier ones have finished), `KycRepository.applyReading` from src/ (the transaction a sync
 * commits: lock the customer, apply the observation, history row, event and its NOTIFY) on a pool
 * and Prisma client built like the service's, in the bench process, pending <-> rejected as above,
 * observed now. The relay and the delivery are the service's, woken by the commit's notification as
 * for any other instance's commit. Why: a sync costs the machine ~10 ms CPU per change over all
 * processes (service, PostgreSQL, the emulator), so 200/s of them do not fit on 2 vCPUs beside the
 * delivery being measured; the commit path itself is the service's code either way.
 */
export class DirectChanges {
  private readonly pool: pg.Pool
  private readonly prisma: PrismaService
  private readonly kyc: KycRepository

  constructor(databaseUrl: string) {
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: 10 })
    this.pool.on('error', () => undefined)
    this.prisma = new PrismaService(new PrismaPg(this.pool), null, pgDatabase(this.pool))
    this.kyc = new KycRepository(this.prisma)
  }

  run(o: { customers: BenchCustomer[]; rate: number; seconds: number }): Promise<OpenLoopRun> {
    return fixedRate(o.rate, o.seconds, async (n) => {
      const c = o.customers[n % o.customers.length]!
      const next = !flipped.get(c.alignCustomerId)
      flipped.set(c.alignCustomerId, next)
      const state = next ? PENDING : REJECTED
      const { decision } = await this.kyc.applyReading(c.id, {
        observation: {
          status: state.status,
          subStatus: state.sub_status,
          observedAt: new Date(),
          source: 'sync',
        },
        rails: [],
      })
      return decision.outcome === 'applied' ? 'ok' : 'other'
    })
  }

  async close(): Promise<void> {
    await this.prisma.$disconnect().catch(() => undefined)
    await this.pool.end().catch(() => undefined)
  }
}

/** Commit (the event's createdAt) to receipt at the subscriber, over each event's first receipt. */
export function commitToReceipt(receipts: Receipt[]): Latency {
  const first = new Map<string, Receipt>()
  for (const r of receipts)
    if (!first.has(`${r.endpoint} ${r.webhookId}`)) first.set(`${r.endpoint} ${r.webhookId}`, r)
  return latency([...first.values()].map((r) => r.receivedAtMs - r.createdAtMs))
}

/** Waits until `done()` or `timeoutMs`; true when done. */
export async function until(
  done: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 250,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await done()) return true
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
