/**
 * Cleanup that runs however the bench ends: normal completion, a thrown error, Ctrl-C / SIGTERM,
 * an uncaught exception. Steps run once, last registered first; a failing step does not stop the rest.
 */
type Step = { name: string; fn: () => Promise<unknown> | unknown }

const steps: Step[] = []
let running: Promise<void> | null = null

export function onCleanup(name: string, fn: Step['fn']): void {
  steps.push({ name, fn })
}

export function cleanup(): Promise<void> {
  running ??= (async () => {
    while (steps.length) {
      const step = steps.pop()!
      try {
        await Promise.race([
          Promise.resolve().then(step.fn),
          new Promise((_, reject) =>
            setTimeout(() => reject(new Error('timed out after 15 s')), 15_000).unref(),
          ),
        ])
      } catch (e) {
        process.stderr.write(`cleanup: ${step.name} failed: ${(e as Error).message}\n`)
      }
    }
  })()
  return running
}

let installed = false

/** Signals and fatal errors run the cleanup before the process exits. */
export function installCleanupHandlers(): void {
  if (installed) return
  installed = true
  const bail = (why: string, code: number) => {
    process.stderr.write(`\nbench: ${why}; cleaning up…\n`)
    void cleanup().finally(() => process.exit(code))
  }
  process.once('SIGINT', () => bail('interrupted (SIGINT)', 130))
  process.once('SIGTERM', () => bail('terminated (SIGTERM)', 143))
  process.once('uncaughtException', (e) => bail(`uncaught exception: ${e.stack ?? e}`, 1))
  process.once('unhandledRejection', (e) => bail(`unhandled rejection: ${(e as Error)?.stack ?? e}`, 1))
}
