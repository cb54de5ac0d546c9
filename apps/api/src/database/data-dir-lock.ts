import { readFileSync, rmSync } from 'node:fs'
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { StartupError } from '../common/startup-error.js'

/** A held data-directory lock; `release()` is idempotent and also runs when the process exits. */
export type DataDirLock = { readonly path: string; release(): void }

/**
 * Takes the embedded database's lock, `<dataDir>/align-kyc.lock/` (inside, as PostgreSQL keeps
 * postmaster.pid, so a writable volume mounted at the data directory is enough), for this process,
 * or throws a StartupError naming the directory and the live holder's pid. PGlite is single-process:
 * two processes on one data directory each see only their own writes and corrupt it. The lock covers
 * everything named after the data directory (the built-in emulator's
 * `<dataDir>.align-emulator.json` too: the emulator starts only once the database is open).
 *
 * Why not proper-lockfile: its staleness is an mtime refreshed by a timer, so a restart right after
 * `kill -9` is refused until the window passes, and a PGlite query that blocks the event loop for
 * longer than the window lets a second process in. Here a holder is live while its pid is (and, on
 * Linux, while that pid still has the start time it had: a reused pid is not the holder).
 *
 * Each process writes its own entry (named by pid and start time), then lists the folder: another
 * live entry means refuse (and remove ours), dead ones are removed. Whichever of two starters lists
 * second sees the other's entry, so two can never both proceed (at worst both refuse).
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const lockDir = path.join(dataDir, 'align-kyc.lock')
  const mine = entryName(process.pid)
  const minePath = path.join(lockDir, mine)
  await mkdir(lockDir, { recursive: true })
  await writeFile(minePath, `${process.pid}\n`)
  for (const name of await readdir(lockDir)) {
    if (name === mine) continue
    const holder = parseEntry(name)
    if (holder && isLive(holder)) {
      await rm(minePath, { force: true })
      throw new StartupError(
        `The embedded database ${dataDir} is in use by another process (pid ${holder.pid}): stop it first; ` +
          'several instances need PostgreSQL (DATABASE_URL=postgresql://...)',
      )
    }
    await rm(path.join(lockDir, name), { force: true }) // left by a process that died without releasing
  }
  let released = false
  const release = () => {
    if (released) return
    released = true
    process.off('exit', release)
    rmSync(minePath, { force: true })
  }
  process.on('exit', release)
  return { path: lockDir, release }
}

type Entry = { pid: number; startTime: string | null }

/** The lock entry a process writes: `<pid>.<start time>` (Linux), `<pid>` elsewhere. Exported for tests. */
export function entryName(pid: number): string {
  const start = startTimeOf(pid)
  return start ? `${pid}.${start}` : String(pid)
}

function parseEntry(name: string): Entry | null {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(name)
  return m ? { pid: Number(m[1]), startTime: m[2] ?? null } : null
}

function isLive({ pid, startTime }: Entry): boolean {
  if (pid === process.pid) return false // a previous process with our pid (e.g. pid 1 in a container)
  try {
    process.kill(pid, 0)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  if (startTime === null) return true
  const now = startTimeOf(pid)
  return now === null || now === startTime // null: its /proc entry is hidden from us, assume live
}

/** The process's start time in clock ticks since boot (Linux /proc); null where there is none. */
function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Field 22; the command name (field 2) is in parentheses and may contain spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
  } catch {
    return null
  }
}
