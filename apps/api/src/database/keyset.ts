/** Position after which a newest-first page continues (decoded from a cursor). */
export type KeysetPosition = { createdAt: Date; id: string }

/**
 * Newest-first keyset pagination on (timestamp field, id): the `where` part that continues after
 * `after`, and the matching order. Used by every cursor-paginated list.
 */
export function newestFirst<F extends string>(field: F, after: KeysetPosition | undefined) {
  const where = after
    ? { OR: [{ [field]: { lt: after.createdAt } }, { [field]: after.createdAt, id: { lt: after.id } }] }
    : {}
  const orderBy = [{ [field]: 'desc' as const }, { id: 'desc' as const }]
  return { where, orderBy } as {
    where: { OR?: Array<Record<F, { lt: Date } | Date> & { id?: { lt: string } }> }
    orderBy: Array<Record<F, 'desc'> | { id: 'desc' }>
  }
}
