import net from 'node:net'
import { DriverAdapterError } from '@prisma/driver-adapter-utils'
import pg from 'pg'
import { Prisma } from '../generated/prisma/client.js'
import { databaseFault } from './database-errors.js'

const pgError = (code: string, message = 'x') =>
  Object.assign(new pg.DatabaseError(message, 0, 'error'), { code })
const prismaError = (code: string, meta?: Record<string, unknown>) =>
  new Prisma.PrismaClientKnownRequestError('wrapped', { code, clientVersion: '7', meta })
const adapterError = (cause: Record<string, unknown>) =>
  new DriverAdapterError(cause as ConstructorParameters<typeof DriverAdapterError>[0])

describe('databaseFault', () => {
  it.each([
    ['admin shutdown (pg_terminate_backend)', 'unreachable', pgError('57P01')],
    ['crash shutdown', 'unreachable', pgError('57P02')],
    ['cannot connect now (starting up, recovering)', 'unreachable', pgError('57P03')],
    ['connection failure (class 08)', 'unreachable', pgError('08006')],
    ['too many connections', 'unreachable', pgError('53300')],
    ['disk full', 'disk_full', pgError('53100')],
    ['out of memory', 'resources', pgError('53200')],
    ['a reset socket', 'unreachable', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ["pg's dropped connection", 'unreachable', new Error('Connection terminated unexpectedly')],
    [
      "pg's unusable client",
      'unreachable',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
    ['pool checkout timeout', 'unreachable', new Error('timeout exceeded when trying to connect')],
    ['connect timeout', 'unreachable', new Error('Connection terminated due to connection timeout')],
    ["Prisma's can't reach (P1001)", 'unreachable', prismaError('P1001')],
    ["Prisma's pool timeout (P2024)", 'unreachable', prismaError('P2024')],
    [
      "Prisma's raw query failure wrapping 53100",
      'disk_full',
      prismaError('P2010', {
        driverAdapterError: adapterError({ kind: 'postgres', code: '53100', originalCode: '53100' }),
      }),
    ],
    ['an adapter error for a closed connection', 'unreachable', adapterError({ kind: 'ConnectionClosed' })],
    ['an error whose cause is one', 'unreachable', new Error('outer', { cause: pgError('57P01') })],
  ])('%s -> %s', (_what, kind, err) => {
    expect(databaseFault(err)?.kind).toBe(kind)
  })

  it.each([
    ['a unique violation', pgError('23505')],
    ['a serialization failure', pgError('40001')],
    ['a syntax error', pgError('42601')],
    ["Prisma's unique violation (P2002)", prismaError('P2002')],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['not an error', 'text'],
    ['nothing', undefined],
  ])('%s -> not an outage', (_what, err) => {
    expect(databaseFault(err)).toBeNull()
  })

  it('classifies the error pg gives for a port nobody listens on', async () => {
    const server = net.createServer()
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const { port } = server.address() as net.AddressInfo
    await new Promise<void>((r) => server.close(() => r()))
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'nobody', database: 'none' })
    const err = await client.connect().then(
      () => null,
      (e: unknown) => e,
    )
    expect(databaseFault(err)).toEqual({ kind: 'unreachable', reason: 'ECONNREFUSED' })
  })
})
