/**
 * A customer's timeline: the status history, the links issued, the inbound deliveries from Align
 * and the outbound events, merged into one list ordered by time. Pure (no React, no fetching), tested
 * in timeline.spec.ts.
 *
 * Each source keeps its own time: a status change its observation's `occurredAt` (Align's time), a
 * link its `createdAt`, a delivery when it was received, an event when it was committed. At the same
 * instant the order is the causal one: a link is issued, Align's webhook arrives, the status is
 * applied, the event is written (KIND_ORDER); within one kind, the order each source gave.
 */

export type HistoryEntry = {
  status: string
  subStatus: string | null
  source: string
  occurredAt: string
  recordedAt: string
}

export type IssuedLink = {
  id: string
  reason: string
  issuedStatus: string
  issuedSubStatus: string | null
  createdAt: string
  expiresAt: string
  supersededAt: string | null
}

export type InboundDelivery = {
  id: string
  eventType: string
  status: string
  attempts: number
  receivedAt: string
  processedAt: string | null
  lastError: string | null
}

export type OutboundEvent = {
  id: string
  type: string
  sequence: number
  createdAt: string
}

export type TimelineItem =
  | { kind: 'status'; at: string; key: string; entry: HistoryEntry }
  | { kind: 'link'; at: string; key: string; link: IssuedLink }
  | { kind: 'inbound'; at: string; key: string; delivery: InboundDelivery }
  | { kind: 'event'; at: string; key: string; event: OutboundEvent }

export type TimelineSources = {
  history?: readonly HistoryEntry[]
  links?: readonly IssuedLink[]
  inbound?: readonly InboundDelivery[]
  events?: readonly OutboundEvent[]
}

/** At the same instant: link, then delivery, then status change, then event. */
const KIND_ORDER: Record<TimelineItem['kind'], number> = { link: 0, inbound: 1, status: 2, event: 3 }

/**
 * Every item of every source, ordered by time: `oldest` first or `newest` first (the exact reverse).
 * A missing source (not loaded yet) contributes nothing; an item whose time does not parse sorts last
 * (oldest first) rather than breaking the order of the rest.
 */
export function mergeTimeline(
  sources: TimelineSources,
  order: 'oldest' | 'newest' = 'newest',
): TimelineItem[] {
  const items: { item: TimelineItem; index: number }[] = []
  const add = (item: TimelineItem) => items.push({ item, index: items.length })
  // Status changes of one instant stay in the order the history gave them (oldest first, by recordedAt).
  sources.history?.forEach((entry, i) =>
    add({ kind: 'status', at: entry.occurredAt, key: `status:${i}:${entry.recordedAt}`, entry }),
  )
  sources.links?.forEach((link) => add({ kind: 'link', at: link.createdAt, key: `link:${link.id}`, link }))
  sources.inbound?.forEach((delivery) =>
    add({ kind: 'inbound', at: delivery.receivedAt, key: `inbound:${delivery.id}`, delivery }),
  )
  sources.events?.forEach((event) =>
    add({ kind: 'event', at: event.createdAt, key: `event:${event.id}`, event }),
  )
  const time = (iso: string) => {
    const t = Date.parse(iso)
    return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t
  }
  items.sort(
    (a, b) =>
      time(a.item.at) - time(b.item.at) ||
      KIND_ORDER[a.item.kind] - KIND_ORDER[b.item.kind] ||
      sequenceOf(a.item) - sequenceOf(b.item) ||
      a.index - b.index,
  )
  const sorted = items.map((x) => x.item)
  return order === 'oldest' ? sorted : sorted.reverse()
}

/** Events of one instant in their `sequence` order (the feed gives them so, but say it). */
function sequenceOf(item: TimelineItem): number {
  return item.kind === 'event' ? item.event.sequence : 0
}
