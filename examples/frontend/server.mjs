// The example product's backend: serves its page and mints client tokens. It holds the API token;
// the page never sees it. No dependencies: node's http and fetch.
//
//   CORS_ORIGINS=http://localhost:8080 npm start      # the KYC service, local mode, in one terminal
//   npm run example:frontend                          # this, in another; open http://localhost:8080
//
// Environment: API_URL (default http://localhost:3000), API_TOKEN (default dev-token, local mode's),
// PORT (default 8080), CUSTOMER_EMAIL (the demo's signed-in user, default demo@example.com).
import { readFile } from 'node:fs/promises'
import http from 'node:http'

const API_URL = process.env.API_URL ?? 'http://localhost:3000'
const API_TOKEN = process.env.API_TOKEN ?? 'dev-token'
const PORT = Number(process.env.PORT ?? 8080)
const EMAIL = process.env.CUSTOMER_EMAIL ?? 'demo@example.com'
const page = await readFile(new URL('./index.html', import.meta.url))

async function api(path, body) {
  const res = await fetch(`${API_URL}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  return res.json()
}

// A real backend knows who is signed in; the demo has one user, created once (the same email again
// answers the same customer).
let customerId = null
async function signedInCustomer() {
  customerId ??= (
    await api('/v1/customers', { email: EMAIL, type: 'individual', firstName: 'Demo', lastName: 'User' })
  ).id
  return customerId
}

const server = http.createServer(async (req, res) => {
  try {
    if (req.method === 'GET' && (req.url === '/' || req.url === '/index.html')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page)
    } else if (req.method === 'POST' && req.url === '/client-token') {
      const id = await signedInCustomer()
      const token = await api(`/v1/customers/${id}/client-tokens`, { ttl: '15m' })
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ...token, apiUrl: API_URL }))
    } else {
      res.writeHead(404).end()
    }
  } catch (e) {
    res.writeHead(502, { 'content-type': 'text/plain' }).end(String(e))
  }
})
server.listen(PORT, () => {
  const { port } = server.address()
  console.log(`example frontend on http://localhost:${port} (KYC service ${API_URL})`)
})
process.once('SIGTERM', () => {
  server.close(() => process.exit(0))
  server.closeAllConnections()
})
