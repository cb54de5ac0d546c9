import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common'
import { APP_CONFIG } from '../config/config.module.js'
import { isProduction, type AppConfig } from '../config/app-config.js'
import { DatabaseHealth } from '../database/database-health.js'
import { describeFailure, OutageLog } from '../database/outage-log.js'
import { Rounds } from '../database/rounds.js'
import { toEventDto } from './dto/event.dto.js'
import { EndpointSecrets } from './endpoint-secrets.js'
import { EVENTS_POLICY, outboundRetryDelayMs } from './events-policy.js'
import { DELIVERIES_CHANNEL } from './events.repository.js'
import { OutboundSender } from './outbound-sender.js'
import { EventSignals } from './signals.js'
import { WebhookEndpointsRepository, type ClaimedOutbound } from './webhook-endpoints.repository.js'

/**
 * Sends events to the subscribers' endpoints (Standard Webhooks). The inbound worker's lease pattern
 * (delivery-worker.ts), extended: a short transaction claims due deliveries with a lease
 * (WebhookEndpointsRepository.claim: per-customer order, per-endpoint bound), each POST then runs
 * with no connection or transaction held, and a second short statement records the outcome.
 * A delivery that ends (delivered, or failed for good) releases the customer's next one for that
 * endpoint in the statement that records it; the first round also releases any left waiting behind
 * no head (WebhookEndpointsRepository.releaseOrphaned).
 * Every delivery runs on its own: a claim round never waits for the sends it started, and each one
 * that ends frees its slot and starts a round, so a slow endpoint holds at most
 * EVENTS_POLICY.maxInFlightPerEndpoint of the instance's EVENTS_POLICY.maxInFlight slots.
 * Woken by the relay (new deliveries, on every instance) and every EVENTS_POLICY.deliveryPollMs
 * (retries falling due, leases of a crashed instance running out).
 */
@Injectable()
export class OutboundWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('OutboundWebhooks')
  private readonly rounds: Rounds
  private readonly outage: OutageLog
  private readonly sender: OutboundSender
  private readonly inFlight = new Set<Promise<void>>()
  private readonly leaseMs: number
  private timer: NodeJS.Timeout | null = null
  private stopped = false
  private orphansReleased = false

  constructor(
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly secrets: EndpointSecrets,
    private readonly database: DatabaseHealth,
    signals: EventSignals,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.outage = new OutageLog(this.logger, database, 'outbound webhooks are retried shortly')
    this.rounds = new Rounds(() => this.claimRound(), {
      logger: this.logger,
      outage: this.outage,
      database,
      what: 'outbound claim round',
    })
    this.sender = new OutboundSender(isProduction(config), config.events.webhookTimeoutMs)
    this.leaseMs = config.events.webhookTimeoutMs + EVENTS_POLICY.leaseMarginMs
    signals.on(DELIVERIES_CHANNEL, () => this.rounds.kick())
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.rounds.kick(), EVENTS_POLICY.deliveryPollMs)
    this.timer.unref()
    this.rounds.kick()
  }

  /** Stops claiming and waits for the sends in flight (each bounded by EVENT_WEBHOOK_TIMEOUT). */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    await this.rounds.stop()
    await Promise.allSettled([...this.inFlight])
    this.sender.close()
  }

  private async claimRound(): Promise<void> {
    const free = EVENTS_POLICY.maxInFlight - this.inFlight.size
    if (this.stopped || free <= 0) return
    if (!this.orphansReleased) {
      const released = await this.endpoints.releaseOrphaned()
      if (released > 0) this.logger.log(`released ${released} deliveries left waiting behind no head`)
      this.orphansReleased = true
    }
    const claimed = await this.endpoints.claim(free, EVENTS_POLICY.maxInFlightPerEndpoint, this.leaseMs)
    this.outage.succeeded()
    for (const c of claimed) {
      const p: Promise<void> = this.deliver(c).finally(() => {
        this.inFlight.delete(p)
        this.rounds.kick()
      })
      this.inFlight.add(p)
    }
    if (claimed.length === free) this.rounds.kick() // more may be due
  }

  private async deliver(c: ClaimedOutbound): Promise<void> {
    const what = `event ${c.event.id} to endpoint ${c.endpointId} (attempt ${c.attempts})`
    try {
      const body = JSON.stringify(toEventDto(c.event))
      const now = new Date()
      const sealed = c.previousSecret ? [c.secret, c.previousSecret] : [c.secret]
      const result = await this.sender.send(c.url, body, {
        'webhook-id': c.event.id,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': this.secrets.sign(sealed, c.event.id, now, body),
        'user-agent': 'align-kyc-webhooks/1',
      })
      if (result.ok) {
        await this.endpoints.recordDelivered(c, result.status)
        this.logger.debug(`${what}: delivered (${result.status})`)
        return
      }
      const delay = outboundRetryDelayMs(c.attempts, this.config.events.retryBaseMs)
      const status = await this.endpoints.recordFailure(
        c,
        result.status,
        result.error.slice(0, EVENTS_POLICY.lastErrorChars),
        delay,
      )
      if (status === 'failed') this.logger.error(`${what}: failed for good (${result.error})`)
      else if (status === 'pending')
        this.logger.warn(`${what}: ${result.error}; next attempt in ${Math.round(delay)} ms`)
    } catch (e) {
      // The database could not record it: the lease runs out and the delivery is tried again then.
      if (!this.outage.failed(e))
        this.logger.warn(`${what}: could not be recorded (${describeFailure(e, this.database)})`)
    }
  }
}
