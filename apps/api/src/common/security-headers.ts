import helmet, { type HelmetOptions } from 'helmet'

/**
 * helmet's response headers for `options`, computed once. helmet is Express-style middleware that
 * rebuilds the same headers on every request; with our configurations (static CSP directives, no
 * nonces, no functions) they never vary. Throws if helmet did not finish synchronously or failed.
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

/**
 * JSON API answers: the OWASP REST Security Cheat Sheet's response headers. Nothing here is ever
 * rendered or framed, so the document-oriented headers helmet adds for HTML pages (cross-origin
 * isolation, DNS prefetch, download options, ...) only cost bytes on every answer; and since answers
 * carry KYC links and personal data, nothing may be cached.
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...helmetHeaders({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    xContentTypeOptions: true,
    crossOriginOpenerPolicy: false,
    crossOriginResourcePolicy: false,
    originAgentCluster: false,
    referrerPolicy: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  }),
  'cache-control': 'no-store',
})

/**
 * helmet's full set for the HTML documentation (Swagger UI at /docs), with the inline script and
 * styles Swagger UI needs. `upgrade-insecure-requests` only for a page that came over https: over
 * plain HTTP by host name it sends every asset to an https:// the service does not serve, and the page
 * stays blank (browsers exempt only localhost).
 */
function docsHeaders(https: boolean): Readonly<Record<string, string>> {
  return Object.freeze(
    helmetHeaders({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          scriptSrc: ["'self'", "'unsafe-inline'"],
          ...(https ? {} : { upgradeInsecureRequests: null }),
        },
      },
    }),
  )
}

/** The documentation's headers for a page served over https (directly or by a trusted proxy). */
export const DOCS_SECURITY_HEADERS = docsHeaders(true)

/** The documentation's headers over plain HTTP: the same, without `upgrade-insecure-requests`. */
export const DOCS_HTTP_SECURITY_HEADERS = docsHeaders(false)

/**
 * The operators' console (/console, apps/console): helmet's set with a CSP of its own. Everything is
 * the service's own files (Vite emits no inline script; React sets styles through the DOM, which CSP
 * allows) and its API calls go to the same origin, so `'self'` everywhere and no `'unsafe-inline'`;
 * `data:` images for the inline favicon. The JSON API's `default-src 'none'` would block the page's
 * own scripts, Swagger UI's set allows inline scripts the console does not need. No caching of the
 * page (the hashed assets set their own cache-control, see console.ts).
 */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...helmetHeaders({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    xFrameOptions: { action: 'deny' },
  }),
  'cache-control': 'no-store',
})
