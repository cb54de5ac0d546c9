import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common'
import type { FastifyReply } from 'fastify'
import { AppError } from '../common/app-error.js'
import { EventsRepository } from './events.repository.js'
import { EVENTS_CHANNEL } from './outbox.js'
import { EventSignals } from './signals.js'

/** The stream's timing (api-contract.md, "Frontends"). */
export const KYC_STREAM_POLICY = Object.freeze({
  /** A comment line this often, so proxies and browsers keep an idle stream open. */
  keepAliveMs: 15_000,
  /** After a failed read (the database away), look again this much later. */
  retryReadMs: 1_000,
  /** What EventSource waits before reconnecting after the stream ends (its `retry:` field). */
  clientRetryMs: 3_000,
})

type Stream = {
  customerId: string
  raw: ServerResponse
  /** The last `status` data written, to send only what changed. */
  sent: string | null
  /** Headers and the first event are out; until then changes only set `missed`. */
  started: boolean
  missed: boolean
  expiry: NodeJS.Timeout | null
}

/**
 * The open `GET /v1/customers/:id/kyc/events` streams of this instance. Nothing is polled and no
 * connection is held per stream: the outbox NOTIFYs with the customer's id at every commit
 * (outbox.ts), on the instance's one LISTEN connection (EventSignals); for a customer with open
 * streams here, one read on a pooled connection (concurrent notifications for it coalesce into the
 * reads needed, each started after the last notification) and each stream whose last event differs
 * gets one. When notifications may have been lost (the LISTEN connection re-opened after the database
 * dropped it), every stream is sent its customer's current state again, changed or not.
 */
@Injectable()
export class KycStreams implements OnModuleDestroy {
  private readonly logger = new Logger('KycStreams')
  private readonly byCustomer = new Map<string, Set<Stream>>()
  private readonly reading = new Map<string, { again: boolean; force: boolean }>()
  private readonly keepAlive: NodeJS.Timeout
  private closing = false

  constructor(
    private readonly events: EventsRepository,
    signals: EventSignals,
  ) {
    signals.on(EVENTS_CHANNEL, (customerId) => {
      if (customerId) this.changed(customerId.toLowerCase(), false)
      else for (const id of this.byCustomer.keys()) this.changed(id, true)
    })
    this.keepAlive = setInterval(() => this.comment('keep-alive'), KYC_STREAM_POLICY.keepAliveMs)
    this.keepAlive.unref()
  }

  /** How many streams are open on this instance (tests, diagnostics). */
  get size(): number {
    let n = 0
    for (const group of this.byCustomer.values()) n += group.size
    return n
  }

  /**
   * Opens a stream on `reply` for `customerId`: its current state at once (`event: status`), then
   * one per committed change; at `expiresAt` (a client token's expiry; null: none) `event: expired`
   * and the end. An unknown customer throws 404 before anything is written.
   */
  async open(reply: FastifyReply, customerId: string, expiresAt: Date | null): Promise<void> {
    if (this.closing) throw new AppError('database_unavailable', 'The service is shutting down: reconnect.')
    const stream: Stream = {
      customerId,
      raw: reply.raw,
      sent: null,
      started: false,
      missed: false,
      expiry: null,
    }
    // Subscribed before the first read: a change committed meanwhile sets `missed` and is read again.
    this.add(stream)
    let status
    try {
      status = await this.events.kycLiveStatus(customerId)
    } catch (e) {
      this.remove(stream)
      throw e
    }
    if (!status) {
      this.remove(stream)
      throw new AppError('customer_not_found', `No customer with id ${customerId}.`)
    }
    reply.hijack()
    const raw = reply.raw
    if (raw.destroyed || raw.socket?.destroyed) {
      // The browser left during the read: its 'close' has fired already, nothing would remove it.
      this.remove(stream)
      return
    }
    // The headers the hooks set (request id, security headers, a CORS grant), which hijack skips.
    const headers: OutgoingHttpHeaders = {}
    for (const [name, value] of Object.entries(reply.getHeaders()))
      if (value !== undefined) headers[name] = value
    raw.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      // no-transform: a proxy must not compress or rewrite it (it would buffer the events).
      'cache-control': 'no-store, no-transform',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    })
    raw.on('close', () => this.remove(stream))
    raw.socket?.setNoDelay(true)
    raw.write(`retry: ${KYC_STREAM_POLICY.clientRetryMs}\n\n`)
    this.write(stream, JSON.stringify(status))
    stream.started = true
    if (expiresAt) {
      stream.expiry = setTimeout(
        () => {
          raw.end('event: expired\ndata: {}\n\n')
          this.remove(stream)
        },
        Math.max(0, expiresAt.getTime() - Date.now()),
      )
      stream.expiry.unref()
    }
    if (stream.missed) this.changed(customerId, false)
  }

  /** Ends every stream (their browsers reconnect, to another instance): app.close() must not wait on them. */
  onModuleDestroy(): void {
    this.closing = true
    clearInterval(this.keepAlive)
    for (const group of this.byCustomer.values()) {
      for (const s of group) {
        if (s.expiry) clearTimeout(s.expiry)
        s.raw.end()
      }
    }
    this.byCustomer.clear()
  }

  private add(s: Stream): void {
    let group = this.byCustomer.get(s.customerId)
    if (!group) this.byCustomer.set(s.customerId, (group = new Set()))
    group.add(s)
  }

  private remove(s: Stream): void {
    if (s.expiry) clearTimeout(s.expiry)
    const group = this.byCustomer.get(s.customerId)
    if (!group) return
    group.delete(s)
    if (group.size === 0) this.byCustomer.delete(s.customerId)
  }

  /** Something of the customer committed (`force`: or may have, unseen): read it, unless a read is under way. */
  private changed(customerId: string, force: boolean): void {
    const group = this.byCustomer.get(customerId)
    if (!group) return
    for (const s of group) if (!s.started) s.missed = true
    const under = this.reading.get(customerId)
    if (under) {
      under.again = true
      under.force ||= force
      return
    }
    void this.read(customerId, force)
  }

  private async read(customerId: string, force: boolean): Promise<void> {
    const state = { again: false, force: false }
    this.reading.set(customerId, state)
    try {
      for (;;) {
        let json: string | null = null
        try {
          const status = await this.events.kycLiveStatus(customerId)
          json = status && JSON.stringify(status)
        } catch (e) {
          this.logger.warn(`status read for a stream failed (${String(e)}); trying again`)
          setTimeout(() => this.changed(customerId, force), KYC_STREAM_POLICY.retryReadMs).unref()
        }
        if (json !== null) {
          for (const s of this.byCustomer.get(customerId) ?? []) {
            if (s.started && (force || s.sent !== json)) this.write(s, json)
          }
        }
        if (!state.again) return
        force = state.force
        state.again = false
        state.force = false
      }
    } finally {
      this.reading.delete(customerId)
    }
  }

  private write(s: Stream, json: string): void {
    s.sent = json
    s.raw.write(`event: status\ndata: ${json}\n\n`)
  }

  private comment(text: string): void {
    for (const group of this.byCustomer.values()) {
      for (const s of group) if (s.started) s.raw.write(`: ${text}\n\n`)
    }
  }
}
