import helmet, { type HelmetOptions } from 'helmet'

/**
 * helmet's response headers for `options`, computed once. helmet is Express-style middleware that
 * rebuilds the same headers on every request; with our configuration (static CSP directives, no
 * nonces, no functions) they never vary, and recomputing them cost ~5 % of the warm link route's CPU
 * (README, Benchmarks). Throws if helmet did not finish synchronously or failed.
 */
export function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  let finished = false
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()]
    },
  }
  helmet(options)({} as never, response as never, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error(String(error))
    finished = true
  })
  if (!finished) throw new Error('helmet did not set its headers synchronously')
  return headers
}
