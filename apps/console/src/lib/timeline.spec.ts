import {
  mergeTimeline,
  type HistoryEntry,
  type InboundDelivery,
  type IssuedLink,
  type OutboundEvent,
} from './timeline'

const T = (s: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, s)).toISOString()

const status = (s: number, value: string, source = 'webhook'): HistoryEntry => ({
  status: value,
  subStatus: null,
  source,
  occurredAt: T(s),
  recordedAt: T(s + 1),
})
const link = (s: number, id: string, reason = 'none_yet'): IssuedLink => ({
  id,
  reason,
  issuedStatus: 'not_started',
  issuedSubStatus: null,
  createdAt: T(s),
  expiresAt: T(s + 86_400),
  supersededAt: null,
})
const inbound = (s: number, id: string): InboundDelivery => ({
  id,
  eventType: 'customer.kycs.updated',
  status: 'processed',
  attempts: 1,
  receivedAt: T(s),
  processedAt: T(s),
  lastError: null,
})
const event = (s: number, id: string, sequence: number): OutboundEvent => ({
  id,
  type: 'customer.kyc.updated',
  sequence,
  createdAt: T(s),
})

const keys = (items: ReturnType<typeof mergeTimeline>) =>
  items.map((i) => i.key.split(':').slice(0, 2).join(':'))

describe('mergeTimeline', () => {
  it('interleaves the four sources by time, oldest first', () => {
    const items = mergeTimeline(
      {
        history: [status(10, 'pending'), status(30, 'approved')],
        links: [link(5, 'l1')],
        inbound: [inbound(9, 'd1'), inbound(29, 'd2')],
        events: [event(0, 'e1', 1), event(11, 'e2', 2), event(31, 'e3', 3)],
      },
      'oldest',
    )
    expect(keys(items)).toEqual([
      'event:e1',
      'link:l1',
      'inbound:d1',
      'status:0',
      'event:e2',
      'inbound:d2',
      'status:1',
      'event:e3',
    ])
    expect(items.map((i) => i.kind)).toEqual([
      'event',
      'link',
      'inbound',
      'status',
      'event',
      'inbound',
      'status',
      'event',
    ])
  })

  it('newest first is the exact reverse', () => {
    const sources = {
      history: [status(10, 'pending'), status(30, 'approved')],
      links: [link(5, 'l1'), link(20, 'l2', 'forced')],
      inbound: [inbound(9, 'd1')],
      events: [event(11, 'e2', 2)],
    }
    expect(mergeTimeline(sources, 'newest')).toEqual(mergeTimeline(sources, 'oldest').reverse())
    expect(mergeTimeline(sources)[0]).toMatchObject({ kind: 'status', entry: { status: 'approved' } })
  })

  it('orders one instant causally: link, delivery, status, event', () => {
    const items = mergeTimeline(
      {
        events: [event(7, 'e', 2)],
        history: [status(7, 'pending', 'session')],
        inbound: [inbound(7, 'd')],
        links: [link(7, 'l')],
      },
      'oldest',
    )
    expect(items.map((i) => i.kind)).toEqual(['link', 'inbound', 'status', 'event'])
  })

  it('keeps the history order of changes at one instant, and events in sequence order', () => {
    const a = { ...status(3, 'pending'), subStatus: 'kyc_form_submission_started' }
    const b = { ...status(3, 'pending'), subStatus: 'kyc_form_submission_accepted' }
    const items = mergeTimeline({ history: [a, b], events: [event(3, 'y', 5), event(3, 'x', 4)] }, 'oldest')
    expect(
      items.map((i) =>
        i.kind === 'status' ? i.entry.subStatus : i.kind === 'event' ? i.event.sequence : null,
      ),
    ).toEqual(['kyc_form_submission_started', 'kyc_form_submission_accepted', 4, 5])
  })

  it('takes sources that are not loaded yet as empty, and sorts an unparsable time last', () => {
    expect(mergeTimeline({})).toEqual([])
    const broken = { ...inbound(0, 'bad'), receivedAt: 'garbage' }
    const items = mergeTimeline({ inbound: [broken, inbound(50, 'ok')], links: [link(1, 'l')] }, 'oldest')
    expect(keys(items)).toEqual(['link:l', 'inbound:ok', 'inbound:bad'])
  })

  it('gives every item a distinct key (React lists)', () => {
    const same = status(1, 'pending')
    const items = mergeTimeline({
      history: [same, { ...same }],
      events: [event(1, 'a', 1), event(2, 'b', 2)],
    })
    expect(new Set(items.map((i) => i.key)).size).toBe(items.length)
  })
})
