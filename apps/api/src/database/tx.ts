import type { Prisma } from '../generated/prisma/client.js'

/** A Prisma transaction handle, passed only between repository functions. */
export type Tx = Prisma.TransactionClient
