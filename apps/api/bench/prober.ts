/**
 * The cold-link figure's reference client: times direct round trips to the Align emulator from its
 * own process, as the service's Align calls are made. Driven over IPC by lib/processes.ts
 * (`startProber`): each message `{ id, method, path }` is answered with `{ id, ms, status }`, the
 * time measured here, around the HTTP exchange only (the IPC hop is not in it).
 *
 * Why a separate process: the emulator runs inside the bench process. A round trip timed from the
 * bench process itself never has to wake another process, while every Align call of the service
 * wakes the bench process on the way in and the service on the way back; on this 2-vCPU VM those
 * wake-ups cost ~0.3–0.5 ms each, which would be counted as "added by the service".
 *
 * Env: ALIGN_URL, ALIGN_API_KEY.
 */
import { HttpClient } from './lib/http.js'

const client = new HttpClient(process.env.ALIGN_URL!, { authorization: process.env.ALIGN_API_KEY! }, 1)

type Probe = { id: number; method: string; path: string; body?: unknown }

process.on('message', (m: Probe) => {
  const t = performance.now()
  client.request(m.method, m.path, m.body).then(
    (r) => process.send!({ id: m.id, ms: performance.now() - t, status: r.status, body: r.body }),
    (e: Error) => process.send!({ id: m.id, ms: -1, status: 0, body: e.message }),
  )
})
process.on('disconnect', () => {
  client.close()
  process.exit(0)
})
process.send!({ ready: true })
