import { useId, useState, type FormEvent } from 'react'
import { consoleClient, describeError, signInRefusal, unwrap } from '../lib/api'

/**
 * The operator enters a token from OPERATOR_KEYS. It is checked against an operator route before it
 * is kept (a consumer token answers 403 insufficient_scope and is refused here, with why), then kept
 * for this tab only and sent as the bearer token; it is never put in a URL.
 */
export function SignIn({
  notice,
  onSignedIn,
}: {
  notice: string | null
  onSignedIn: (token: string) => void
}) {
  const [token, setToken] = useState('')
  const [error, setError] = useState<{ title: string; detail: string } | null>(null)
  const [busy, setBusy] = useState(false)
  const inputId = useId()
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    const t = token.trim()
    if (!t) return setError({ title: 'No token', detail: 'Enter an operator token (one of OPERATOR_KEYS).' })
    setBusy(true)
    setError(null)
    try {
      await unwrap(consoleClient(t).GET('/v1/align/status'))
      onSignedIn(t)
    } catch (err) {
      const refusal = signInRefusal(err)
      setError(refusal ? { title: 'Not an operator token', detail: refusal } : describeError(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <main className="signin" id="main">
      <form onSubmit={(e) => void submit(e)} aria-describedby={`${inputId}-help`}>
        <h1>Align KYC console</h1>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <label htmlFor={inputId}>Operator token</label>
        <input
          id={inputId}
          name="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={token}
          onChange={(e) => setToken(e.target.value)}
          autoFocus
        />
        <p id={`${inputId}-help`} className="muted">
          One of the service&apos;s <code>OPERATOR_KEYS</code>. It is kept in this tab only and sent as the
          bearer token.
        </p>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        {error && (
          <div className="problem" role="alert" data-testid="signin-error">
            <strong className="problem-title">{error.title}</strong>
            <p className="problem-detail">{error.detail}</p>
          </div>
        )}
      </form>
    </main>
  )
}
