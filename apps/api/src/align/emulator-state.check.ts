import path from 'node:path'
import type { AlignEmulatorState } from '@align-kyc/align-client/testing'
import type { DatabaseTarget } from '../database/database-url.js'
import type { EmulatorReferences } from './emulator-state.repository.js'

/** How many of the newest customers and live links the start-up check looks up. */
export const EMULATOR_CHECK_SAMPLE = 1000

/**
 * Local mode keeps Align's side (customers, links) in the emulator's state file, and the service's
 * side in the database. If the file is gone (deleted, another working directory, a different
 * ALIGN_EMULATOR_STATE_FILE) while the database is kept, every link the service reuses would open as
 * 404 and every sync would fail. Since the emulator saves a change before it answers, and the
 * service records it only after that answer, the emulator always knows everything the database
 * holds: anything it does not know means its state was lost. Returns the one-line refusal that says
 * so and how to get out, or null when the emulator knows the newest customers and live links.
 */
export function emulatorStateProblem(input: {
  database: DatabaseTarget
  stateFile: string
  fileExisted: boolean
  references: EmulatorReferences
  emulator: Pick<AlignEmulatorState, 'customers' | 'links'>
  cwd?: string
}): string | null {
  const { database, stateFile, references, emulator } = input
  const customers = new Set(emulator.customers.map((c) => c.customer.customer_id))
  const tokens = new Set(emulator.links.map((l) => l.token))
  const unknownCustomers = references.alignCustomerIds.filter((id) => !customers.has(id)).length
  const unknownLinks = references.liveLinkUrls.filter((url) => !tokens.has(linkToken(url))).length
  if (unknownCustomers === 0 && unknownLinks === 0) return null

  const show = (p: string) => displayPath(p, input.cwd ?? process.cwd())
  const file = show(stateFile)
  const what = [
    unknownCustomers ? plural(unknownCustomers, 'customer') : null,
    unknownLinks ? plural(unknownLinks, 'live KYC link') : null,
  ]
    .filter(Boolean)
    .join(' and ')
  let where: string
  let fromScratch: string
  if (database.kind === 'pglite') {
    const dir = database.dataDir ? show(database.dataDir) : 'memory'
    where = `the embedded database ${dir}`
    fromScratch = `delete ${dir} and ${file} to start from scratch`
  } else {
    const u = new URL(database.url)
    where = `database ${u.pathname.slice(1)} on ${u.hostname}:${u.port || 5432}`
    fromScratch = 'point DATABASE_URL at an empty database to start from scratch'
  }
  return (
    `Align emulator state lost: ${what} in ${where} ${unknownCustomers + unknownLinks === 1 ? 'is' : 'are'} ` +
    `unknown to the built-in Align emulator (its state file ${file} ` +
    `${input.fileExisted ? 'does not hold them' : 'is missing'}), so their links would open as 404. ` +
    `Restore that file, ${fromScratch}, or set ALIGN_EMULATOR_STATE_FILE=none to start anyway.`
  )
}

/** The token of an emulator link (`.../flow/<token>`). */
function linkToken(url: string): string {
  try {
    return new URL(url).pathname.split('/').pop() ?? ''
  } catch {
    return ''
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}

/** Relative to the working directory when inside it (`.data/pglite`), absolute otherwise. */
function displayPath(p: string, cwd: string): string {
  const relative = path.relative(cwd, p)
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : p
}
