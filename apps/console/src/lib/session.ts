/**
 * The operator's token, kept for this tab only (sessionStorage: gone when the tab closes, never shared
 * with other tabs, never in a URL or a cookie). It is read once at start and then held by the API
 * client; nothing else in the console sees it.
 */
const KEY = 'align-kyc-console:operator-token'

export function loadToken(): string | null {
  try {
    return sessionStorage.getItem(KEY)
  } catch {
    return null // storage disabled: the operator signs in again per page load
  }
}

export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(KEY, token)
  } catch {
    // storage disabled: the token lives in memory until the page is reloaded
  }
}

export function clearToken(): void {
  try {
    sessionStorage.removeItem(KEY)
  } catch {
    // nothing stored
  }
}
