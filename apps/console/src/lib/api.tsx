import { createContext, useContext } from 'react'
import {
  AlignKycProblemError,
  createAlignKycClient,
  unwrap,
  type AlignKycClient,
  type Schemas,
} from '@align-kyc/api-client'

export { unwrap }
export type { Schemas }

/** The service is this page's origin: the console is served by the API it calls. */
export function consoleClient(token: string): AlignKycClient {
  return createAlignKycClient({ baseUrl: window.location.origin, token })
}

const ApiContext = createContext<AlignKycClient | null>(null)
export const ApiProvider = ApiContext.Provider

/** The signed-in operator's typed client. */
export function useApi(): AlignKycClient {
  const api = useContext(ApiContext)
  if (!api) throw new Error('useApi outside a signed-in console')
  return api
}

/** What an error says to a person: the problem's title and detail, or what failed on the way. */
export function describeError(error: unknown): { title: string; detail: string; status?: number } {
  if (error instanceof AlignKycProblemError) {
    return {
      title: error.problem?.title ?? `The service answered ${error.status}`,
      detail: error.detail,
      status: error.status,
    }
  }
  if (error instanceof TypeError) {
    return { title: 'The service did not answer', detail: 'Check that it is running, then try again.' }
  }
  return { title: 'Something went wrong', detail: error instanceof Error ? error.message : String(error) }
}

/** Why a token cannot sign in, in the operator's words; null when the error is not about the token. */
export function signInRefusal(error: unknown): string | null {
  if (!(error instanceof AlignKycProblemError)) return null
  if (error.status === 403 && error.code === 'insufficient_scope')
    return 'This is a consumer token (API_KEYS). The console needs an operator token: one of OPERATOR_KEYS.'
  if (error.status === 401) return 'The service does not know this token. Enter one of OPERATOR_KEYS.'
  return null
}

/** Whether the answer says the token is no longer good (then the console signs out). */
export function isUnauthorized(error: unknown): boolean {
  return error instanceof AlignKycProblemError && error.status === 401
}
