import { useMemo, useState } from 'react'
import { MutationCache, QueryCache, QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query'
import { ApiProvider, consoleClient, isUnauthorized, unwrap, useApi } from './lib/api'
import { Link, useLocation } from './lib/router'
import { clearToken, loadToken, saveToken } from './lib/session'
import { SignIn } from './pages/SignIn'
import { Overview } from './pages/Overview'
import { Customers } from './pages/Customers'
import { CustomerPage } from './pages/Customer'
import { Webhooks } from './pages/Webhooks'

/** Signed in or not; a 401 from any request (the token was removed from OPERATOR_KEYS) signs out. */
export function App() {
  const [token, setToken] = useState<string | null>(() => loadToken())
  const [notice, setNotice] = useState<string | null>(null)
  const queryClient = useMemo(() => {
    const onError = (error: unknown) => {
      if (!isUnauthorized(error)) return
      clearToken()
      setToken(null)
      setNotice('The service refused the token (401): sign in again.')
    }
    return new QueryClient({
      queryCache: new QueryCache({ onError }),
      mutationCache: new MutationCache({ onError }),
      defaultOptions: {
        queries: {
          staleTime: 5_000,
          // A problem answer (4xx) will not change by asking again; a network failure might.
          retry: (count, error) => count < 2 && error instanceof TypeError,
          refetchOnWindowFocus: false,
        },
      },
    })
  }, [])
  const api = useMemo(() => (token ? consoleClient(token) : null), [token])

  if (!api) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(t) => {
          saveToken(t)
          setNotice(null)
          setToken(t)
        }}
      />
    )
  }
  return (
    <QueryClientProvider client={queryClient}>
      <ApiProvider value={api}>
        <Shell
          onSignOut={() => {
            clearToken()
            queryClient.clear()
            setToken(null)
          }}
        />
      </ApiProvider>
    </QueryClientProvider>
  )
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const { path } = useLocation()
  const api = useApi()
  const status = useQuery({
    queryKey: ['align-status'],
    queryFn: () => unwrap(api.GET('/v1/align/status')),
    refetchInterval: 30_000,
  })
  const section = path === '/' ? 'overview' : path.split('/')[1]
  const nav = [
    { to: '/', label: 'Overview', key: 'overview' },
    { to: '/customers', label: 'Customers', key: 'customers' },
    { to: '/webhooks', label: 'Webhooks', key: 'webhooks' },
  ]
  return (
    <>
      <a className="skip" href="#main">
        Skip to the content
      </a>
      <header className="top">
        <span className="brand">Align KYC console</span>
        <nav aria-label="Pages">
          {nav.map((n) => (
            <Link key={n.key} to={n.to} aria-current={section === n.key ? 'page' : undefined}>
              {n.label}
            </Link>
          ))}
        </nav>
        <span className="env" data-testid="environment">
          {status.data ? status.data.environment : ''}
        </span>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Page path={path} />
      </main>
    </>
  )
}

function Page({ path }: { path: string }) {
  if (path === '/') return <Overview />
  if (path === '/customers') return <Customers />
  const customer = /^\/customers\/([^/]+)$/.exec(path)
  if (customer) return <CustomerPage id={decodeURIComponent(customer[1]!)} />
  if (path === '/webhooks') return <Webhooks />
  return (
    <section>
      <h1>Not a page of the console</h1>
      <p>
        <Link to="/">Go to the overview</Link>
      </p>
    </section>
  )
}
