/** Timers that `stop()` / `reset()` can cancel all at once (added latency, webhook retry backoff). */
export class CancellableTimers {
  readonly #timers = new Map<NodeJS.Timeout, () => void>()

  /** Resolves true when `ms` have passed, false when `cancelAll()` came first. */
  wait(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer)
        resolve(true)
      }, ms)
      this.#timers.set(timer, () => resolve(false))
    })
  }

  cancelAll(): void {
    for (const [timer, cancel] of this.#timers) {
      clearTimeout(timer)
      cancel()
    }
    this.#timers.clear()
  }
}
