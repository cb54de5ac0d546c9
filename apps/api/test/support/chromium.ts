import { existsSync } from 'node:fs'

/** Debian's Chromium (CI installs it: .ci/run); never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium'

/** Headless, sandbox-less (containers), and nothing that talks to the network on its own. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Whether Chromium is installed; in CI its absence is an error rather than a skipped test. */
export function haveChromium(): boolean {
  const found = existsSync(CHROMIUM)
  if (!found && process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run installs it`)
  return found
}
