/**
 * An autocannon load in its own process, driven over IPC by lib/cannon.ts (`startCannonChild`):
 * `{ id, cmd: 'run', options, okStatus }` starts a run and is answered when it ends, with every
 * sample's end time on the epoch clock (performance.timeOrigin + now(), comparable across the
 * bench's processes); `{ id, cmd: 'stop' }` ends the run in progress.
 *
 * Why a separate process: section 1's bench process also hosts the emulator, which answers the 100
 * cold links' Align calls all at once; in the same event loop as autocannon, that work was counted
 * as warm-link latency the service never had.
 */
import type autocannon from 'autocannon'
import { runCannon } from './lib/cannon.js'

type Command =
  { id: number; cmd: 'run'; options: autocannon.Options; okStatus: number } | { id: number; cmd: 'stop' }

let stop: (() => void) | null = null

process.on('message', (m: Command) => {
  if (m.cmd === 'stop') {
    stop?.()
    process.send!({ id: m.id })
    return
  }
  const until = new Promise<void>((resolve) => (stop = resolve))
  runCannon(m.options, (s) => s === m.okStatus, until).then(
    (run) => process.send!({ id: m.id, ...run, ends: run.ends.map((e) => performance.timeOrigin + e) }),
    (e: Error) => process.send!({ id: m.id, error: e.message }),
  )
})
process.on('disconnect', () => process.exit(0))
process.send!({ ready: true })
