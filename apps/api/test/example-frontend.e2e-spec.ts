import { spawn, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser } from 'playwright-core'
import { CHROMIUM, CHROMIUM_FLAGS, haveChromium } from './support/chromium.js'
import { ServiceProcess } from './support/test-app.js'

const EXAMPLE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../examples/frontend/server.mjs',
)

/** A port free now (bound, then released), for an origin CORS_ORIGINS must name before it listens. */
async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

// CI installs Debian's Chromium (.ci/run); elsewhere the test is skipped when it is missing.
const describeWithChromium = haveChromium() ? describe : describe.skip

/**
 * examples/frontend in Debian's Chromium against the service in local mode (embedded database, the
 * built-in emulator's hosted flow and webhooks): the page gets a client token from its backend, a
 * link, opens the hosted flow in a new tab, and shows "approved" once the reviewer approves, without
 * a reload.
 */
describeWithChromium('example frontend in Chromium (e2e)', () => {
  let svc: ServiceProcess
  let example: ChildProcess
  let exampleUrl: string
  let browser: Browser

  beforeAll(async () => {
    // The example's port is chosen before the service starts (it is the service's CORS origin), so
    // another test's server started meanwhile on port 0 may take it: then both start again on another.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort()
      exampleUrl = `http://127.0.0.1:${port}`
      svc = await ServiceProcess.start(
        {
          DATABASE_URL: 'pglite://memory',
          ALIGN_ENVIRONMENT: 'local',
          CORS_ORIGINS: exampleUrl,
          WEBHOOK_COALESCE_WINDOW: '0',
          WEBHOOK_WORKER_INTERVAL: '200ms',
        },
        { timeoutMs: 60_000 },
      )
      example = spawn(process.execPath, [EXAMPLE], {
        env: { PATH: process.env.PATH ?? '', API_URL: svc.url, PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stderr = ''
      example.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
      const started = await new Promise<true | string>((resolve) => {
        example.stdout!.on(
          'data',
          (c: Buffer) => c.toString().includes('example frontend on') && resolve(true),
        )
        example.once('exit', (code) => resolve(`example server exited with ${code}: ${stderr.slice(0, 500)}`))
      })
      if (started === true) break
      await svc.stop()
      if (attempt === 3 || !started.includes('EADDRINUSE')) throw new Error(started)
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS })
  }, 90_000)
  afterAll(async () => {
    await browser?.close()
    example?.kill('SIGTERM')
    await svc?.stop()
  })

  it('gets a link, approves in the hosted flow, and shows "approved" live', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    let loads = 0
    page.on('load', () => loads++)
    await page.goto(exampleUrl)
    await page.locator('#status', { hasText: 'not_started' }).waitFor({ timeout: 15_000 })

    const [flow] = await Promise.all([context.waitForEvent('page'), page.click('#verify')])
    await flow.waitForLoadState()
    await flow.click('text=Start verification')
    await page.locator('#status', { hasText: 'pending' }).waitFor({ timeout: 15_000 })
    await flow.click('text=Approve (reviewer)')
    await page.locator('#status', { hasText: 'approved' }).waitFor({ timeout: 15_000 })

    expect(loads).toBe(1) // no reload: the stream brought it
    expect(errors).toEqual([])
    await context.close()
    // The token travelled in the stream's URL, and never reached the log.
    expect(svc.log).not.toContain('access_token')
    expect(svc.log).not.toMatch(/eyJ[\w-]+\.[\w-]+\./)
  }, 60_000)
})
