import { Injectable } from '@nestjs/common'
import { EventsRepository, type EventRecord } from './events.repository.js'
import { decodeFeedCursor, encodeFeedCursor } from './feed-cursor.js'
import type { EventType } from './outbox.js'

/** The default page of the feed. */
export const FEED_DEFAULT_LIMIT = 100

@Injectable()
export class EventsService {
  constructor(private readonly events: EventsRepository) {}

  /**
   * One page of the feed after the cursor `after` (omitted: from the oldest kept). `nextCursor` is
   * the last item's position, or `after` itself when nothing is new, so a poller passes it back.
   */
  async feed(q: {
    after?: string
    customerId?: string
    type?: EventType
    limit?: number
  }): Promise<{ items: EventRecord[]; nextCursor: string }> {
    const after = q.after === undefined ? '0' : decodeFeedCursor(q.after)
    const items = await this.events.page({
      after,
      customerId: q.customerId,
      type: q.type,
      limit: q.limit ?? FEED_DEFAULT_LIMIT,
    })
    const last = items.at(-1)
    return { items, nextCursor: encodeFeedCursor(last ? last.position : after) }
  }
}
