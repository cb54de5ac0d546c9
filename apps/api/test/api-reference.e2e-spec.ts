import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import request from 'supertest'
import { ERROR_TABLE } from '../src/common/app-error.js'
import { renderRouteTable, routeRows, withRouteTable } from './support/api-reference.js'
import { ServiceProcess } from './support/test-app.js'

const FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/api.md')

/** docs/api.md is the API reference users read: it must say what the served OpenAPI document says. */
describe('docs/api.md', () => {
  let svc: ServiceProcess
  let file: string
  beforeAll(async () => {
    svc = await ServiceProcess.start({ DATABASE_URL: 'pglite://memory' }, { timeoutMs: 60_000 })
    file = await readFile(FILE, 'utf8')
  })
  afterAll(() => svc?.stop())

  it('has the route table of the served OpenAPI document (npm run docs:api -w @align-kyc/api rewrites it)', async () => {
    const doc = (await request(svc.url).get('/docs-json').expect(200)).body
    const table = renderRouteTable(doc)
    expect(table.split('\n').length).toBeGreaterThan(10)
    expect(routeRows(file)).toEqual(routeRows(withRouteTable(file, table)))
  })

  it('explains every error code the service can answer with', () => {
    const section = file.slice(file.indexOf('## Error codes'))
    for (const [code, { status }] of Object.entries(ERROR_TABLE))
      expect({ code, row: new RegExp(`\\| \`${code}\` \\| ${status} \\|`).test(section) }).toEqual({
        code,
        row: true,
      })
  })
})
