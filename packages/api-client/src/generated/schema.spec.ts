import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { REGENERATE, renderSchema } from '../../scripts/render-schema.js'

const here = path.dirname(fileURLToPath(import.meta.url))

// The served document is compared with openapi.json by apps/api's api-client.e2e-spec.ts; this closes
// the chain: schema.ts is what openapi-typescript makes of openapi.json, so neither was edited by hand.
it(`schema.ts is openapi-typescript's rendering of openapi.json (${REGENERATE} rewrites both)`, async () => {
  const document: unknown = JSON.parse(await readFile(path.join(here, '../../openapi.json'), 'utf8'))
  const committed = await readFile(path.join(here, 'schema.ts'), 'utf8')
  const rendered = await renderSchema(document)
  if (rendered !== committed)
    throw new Error(`src/generated/schema.ts does not match openapi.json: run \`${REGENERATE}\``)
  expect(committed).toContain('"/v1/customers/{id}/virtual-accounts"')
})
