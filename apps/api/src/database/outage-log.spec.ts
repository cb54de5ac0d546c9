import type { Logger } from '@nestjs/common'
import pg from 'pg'
import type { AppConfig } from '../config/app-config.js'
import { DatabaseHealth } from './database-health.js'
import { OutageLog } from './outage-log.js'

const sqlError = (code: string) => Object.assign(new pg.DatabaseError('x', 0, 'error'), { code })
const health = (holdMs = 30_000) => new DatabaseHealth({ readinessDiskFullHoldMs: holdMs } as AppConfig)

function recorder() {
  const lines: string[] = []
  const logger = {
    warn: (m: string) => lines.push(`warn ${m}`),
    log: (m: string) => lines.push(`log ${m}`),
  } as unknown as Logger
  return { lines, logger }
}

describe('OutageLog', () => {
  it('logs an outage when it starts, once a minute while it lasts, and when it ends', () => {
    const { lines, logger } = recorder()
    const outage = new OutageLog(logger, health(), 'the loop tries again every 2 s')
    expect(outage.failed(sqlError('57P01'), 0)).toBe(true)
    expect(outage.failed(new Error('Connection terminated unexpectedly'), 2_000)).toBe(true)
    expect(outage.failed(sqlError('57P01'), 59_999)).toBe(true)
    expect(outage.failed(sqlError('57P01'), 60_000)).toBe(true)
    outage.succeeded(61_000)
    outage.succeeded(62_000)
    expect(lines).toEqual([
      'warn database unavailable (57P01); the loop tries again every 2 s',
      'warn database unavailable (57P01) for 60 s; the loop tries again every 2 s',
      'log database reachable again after 61 s',
    ])
  })

  it('leaves failures that are not outages to the caller', () => {
    const { lines, logger } = recorder()
    const outage = new OutageLog(logger, health(), 'x')
    expect(outage.failed(sqlError('23505'))).toBe(false)
    expect(outage.failed(new TypeError('bug'))).toBe(false)
    outage.succeeded()
    expect(lines).toEqual([])
  })
})

describe('DatabaseHealth', () => {
  it('is not ready for the hold after a disk_full, each one starting it again', () => {
    const h = health(30_000)
    expect(h.notReadyReason()).toBeNull()
    expect(h.observe(sqlError('57P01'))?.kind).toBe('unreachable')
    expect(h.notReadyReason()).toBeNull() // reachability is the ping's business
    const now = Date.now()
    h.observe(sqlError('53100'))
    expect(h.notReadyReason(now + 10_000)).toMatch(/out of disk space \(SQLSTATE 53100\)/)
    expect(h.notReadyReason(now + 29_000)).not.toBeNull()
    expect(h.notReadyReason(now + 31_000)).toBeNull()
    expect(h.notReadyReason(now)).toBeNull() // cleared, not just past
  })

  it('never holds readiness back with a hold of 0', () => {
    const h = health(0)
    h.observe(sqlError('53100'))
    expect(h.notReadyReason()).toBeNull()
  })
})
