/** Route table of the emulator: `'METHOD /pattern/:param'` keys matched against a request. */
import type { Reply } from './http.js'

/** `api`: Align's routes (auth, faults, latency, call counts); `flow`: the hosted pages; `control`: `/__control`. */
export type RouteKind = 'api' | 'flow' | 'control'

export type RouteContext = { params: Record<string, string>; query: URLSearchParams; body: unknown }

export type RouteHandler = (ctx: RouteContext) => Reply | Promise<Reply>

/** A route as the role files declare it. */
export type RouteDefinition = { kind: RouteKind; key: string; handler: RouteHandler }

type Route = RouteDefinition & { method: string; regex: RegExp; names: string[] }

export class Router {
  readonly #routes: Route[] = []

  constructor(definitions: readonly RouteDefinition[]) {
    for (const definition of definitions) this.#add(definition)
  }

  /** Every route key except the control API's, in declaration order. */
  get keys(): string[] {
    return this.#routes.filter((r) => r.kind !== 'control').map((r) => r.key)
  }

  /** Throws on a key that is not an Align or hosted-flow route. */
  assertKnown(key: string): void {
    const keys = this.keys
    if (!keys.includes(key)) throw new Error(`Unknown route ${key}; known: ${keys.join(', ')}`)
  }

  /** The first route matching, with its decoded parameters. */
  match(
    method: string,
    pathname: string,
  ): { route: RouteDefinition; params: Record<string, string> } | undefined {
    for (const route of this.#routes) {
      if (route.method !== method) continue
      const m = route.regex.exec(pathname)
      if (!m) continue
      const params: Record<string, string> = {}
      try {
        route.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1] ?? '')))
      } catch {
        continue
      }
      return { route, params }
    }
    return undefined
  }

  #add(definition: RouteDefinition): void {
    const [method, pattern] = definition.key.split(' ') as [string, string]
    const names: string[] = []
    const source = pattern
      .split('/')
      .map((segment) => {
        if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        names.push(segment.slice(1))
        return '([^/]+)'
      })
      .join('/')
    this.#routes.push({ ...definition, method, regex: new RegExp(`^${source}/?$`), names })
  }
}
