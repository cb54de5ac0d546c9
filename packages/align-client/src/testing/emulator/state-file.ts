/** Durable, coalesced saves of the emulator's state to its `stateFile`. */
import { mkdir, open, readFile, rename } from 'node:fs/promises'
import path from 'node:path'
import type { AlignEmulatorLogger } from './options.js'
import type { AlignEmulatorState } from './store.js'

export class StateFile {
  readonly #file: string | undefined
  readonly #snapshot: () => AlignEmulatorState
  readonly #logger: AlignEmulatorLogger | undefined
  /** The save in progress (settled when none is); it never rejects. */
  #saving: Promise<void> = Promise.resolve()
  /** The save queued behind it, not started yet: every change made until it starts waits for it. */
  #nextSave: Promise<void> | null = null

  /** Without a `file` nothing is read or written and every save resolves at once. */
  constructor(
    file: string | undefined,
    snapshot: () => AlignEmulatorState,
    logger: AlignEmulatorLogger | undefined,
  ) {
    this.#file = file
    this.#snapshot = snapshot
    this.#logger = logger
  }

  /** The saved state; null when there is no file yet, or it cannot be read (logged). */
  async read(): Promise<AlignEmulatorState | null> {
    const file = this.#file
    if (!file) return null
    try {
      return JSON.parse(await readFile(file, 'utf8')) as AlignEmulatorState
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.#logger?.warn('emulator state file unreadable; starting empty', { file, error: String(e) })
      }
      return null
    }
  }

  /**
   * Resolves once the state as it is now is durable in the state file (rejects if that save fails).
   * Saves run one at a time and each writes a snapshot taken when it starts, so every change made
   * while one runs shares the next: a burst of N changes costs two saves, not N, and each answer
   * waits for the first save that started after its change.
   */
  persist(): Promise<void> {
    const file = this.#file
    if (!file) return Promise.resolve()
    this.#nextSave ??= this.#saving.then(() => {
      this.#nextSave = null
      const save = this.#save(file)
      this.#saving = save.catch(() => undefined)
      return save
    })
    return this.#nextSave
  }

  /** For changes made through in-process methods, which answer nobody: a failure is only logged. */
  persistInBackground(): void {
    this.persist().catch(() => undefined)
  }

  /** Resolves once every save asked for so far has finished (successfully or not). */
  async settled(): Promise<void> {
    await this.#nextSave?.catch(() => undefined)
    await this.#saving
  }

  async #save(file: string): Promise<void> {
    const state = JSON.stringify(this.#snapshot())
    try {
      await writeFileDurably(file, state)
    } catch (e) {
      this.#logger?.warn('emulator state not saved', { file, error: String(e) })
      throw e
    }
  }
}

/**
 * Replaces `file` with `data` so that after a crash or a power loss it holds either the old or the
 * new content, whole: a temporary file is written and fsynced, renamed over `file`, and the
 * directory fsynced so that the rename itself is on disk. (write-file-atomic, which is installed,
 * does not fsync the directory.) One save runs at a time, so one temporary name is enough.
 */
async function writeFileDurably(file: string, data: string): Promise<void> {
  const dir = path.dirname(file)
  await mkdir(dir, { recursive: true })
  const tmp = `${file}.tmp`
  const handle = await open(tmp, 'w')
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(tmp, file)
  // Windows cannot open a directory; its rename is as durable as NTFS makes it.
  if (process.platform === 'win32') return
  const dirHandle = await open(dir, 'r')
  try {
    await dirHandle.sync()
  } finally {
    await dirHandle.close()
  }
}
