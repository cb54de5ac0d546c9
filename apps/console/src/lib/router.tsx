import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react'

/**
 * A few lines of History API routing: the console has four pages, so a router library would be more
 * code than the routes. Paths are written without the /console base (`/customers/<id>`); the API
 * serves index.html for every path below /console, so a deep link or a reload lands on the same page.
 */
export const BASE = '/console'

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange)
  return () => window.removeEventListener('popstate', onChange)
}

const snapshot = () => window.location.pathname + window.location.search

/** The current path below the base and its query string. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const href = useSyncExternalStore(subscribe, snapshot)
  const url = new URL(href, window.location.origin)
  let path = url.pathname.startsWith(BASE) ? url.pathname.slice(BASE.length) : url.pathname
  if (!path.startsWith('/')) path = `/${path}`
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1)
  return { path, query: url.searchParams }
}

/** Goes to `to` (a path below the base, with its query), as a new history entry or replacing this one. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = BASE + to
  if (options.replace) window.history.replaceState(null, '', url)
  else window.history.pushState(null, '', url)
  window.dispatchEvent(new PopStateEvent('popstate'))
}

/** `/customers` + {status: 'pending', email: ''} -> `/customers?status=pending` (empty values left out). */
export function withQuery(path: string, query: Record<string, string | undefined | null>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v) q.set(k, v)
  const s = q.toString()
  return s ? `${path}?${s}` : path
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string }

/** A real link (middle click, copy link address work) that navigates in place on a plain click. */
export function Link({ to, onClick, ...rest }: LinkProps) {
  const go = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e)
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
    e.preventDefault()
    navigate(to)
  }
  return <a href={BASE + to} onClick={go} {...rest} />
}
