import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common'
import { Webhook } from 'standardwebhooks'
import { APP_CONFIG } from '../config/config.module.js'
import type { AppConfig } from '../config/app-config.js'
import { newEndpointSecret, SecretBox } from './secret-box.js'
import { WebhookEndpointsRepository } from './webhook-endpoints.repository.js'

/** The generated_keys row used outside production when WEBHOOK_ENDPOINT_KEY is unset. */
const GENERATED_KEY_NAME = 'webhook-endpoint-key'

/**
 * Endpoint secrets: new ones, sealed for storage, and the signatures they make. The key is
 * WEBHOOK_ENDPOINT_KEY; outside production, when it is unset, a key generated once and kept in the
 * database (generated_keys), shared by every instance on it, so local mode needs no setup. That key
 * does not protect against a dump of the database, which is why production requires the variable.
 */
@Injectable()
export class EndpointSecrets implements OnModuleInit {
  private readonly logger = new Logger('EndpointSecrets')
  #box: SecretBox | null = null

  constructor(
    private readonly endpoints: WebhookEndpointsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const keys = this.config.events.endpointKeys
    if (keys) {
      this.#box = new SecretBox(keys)
      return
    }
    this.#box = new SecretBox([await this.endpoints.generatedKey(GENERATED_KEY_NAME)])
    this.logger.log(
      'WEBHOOK_ENDPOINT_KEY is unset: endpoint secrets are encrypted with a key generated into the database (not for production)',
    )
  }

  private get box(): SecretBox {
    if (!this.#box) throw new Error('EndpointSecrets used before module init')
    return this.#box
  }

  /** A new secret: the plaintext (shown once, in the answer) and its sealed form (stored). */
  create(): { secret: string; sealed: string } {
    const secret = newEndpointSecret()
    return { secret, sealed: this.box.seal(secret) }
  }

  /**
   * The `webhook-signature` header for one delivery: `v1,<sig>` per secret (the current one, then the
   * previous one while it still signs), space-separated, made by the standardwebhooks library.
   */
  sign(sealed: readonly string[], msgId: string, timestamp: Date, body: string): string {
    return sealed.map((s) => new Webhook(this.box.open(s)).sign(msgId, timestamp, body)).join(' ')
  }
}
