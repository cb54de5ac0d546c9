/**
 * The route table of docs/api.md, rendered from the served OpenAPI document: the e2e test
 * (api-reference.e2e-spec.ts) fails when the file and the document disagree, and
 * `npm run docs:api -w @align-kyc/api` rewrites the table from a running service.
 */

export const BEGIN =
  '<!-- routes:begin (generated from /docs-json by `npm run docs:api -w @align-kyc/api`) -->'
export const END = '<!-- routes:end -->'

type Operation = {
  security?: Record<string, string[]>[]
  responses: Record<string, { description?: string }>
}
type Document = { paths: Record<string, Record<string, Operation>> }

/** A problem code in backticks; any other description (e.g. the health checks') as it is. */
const code = (c: string) => (/^[a-z_]+$/.test(c) ? `\`${c}\`` : c)

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const

/** One markdown row per operation: method, path, auth, success statuses, problem codes by status. */
export function renderRouteTable(doc: Document): string {
  const rows = ['| method | path | auth | success | problems (status: codes) |', '|---|---|---|---|---|']
  for (const [path, item] of Object.entries(doc.paths).sort(([a], [b]) => a.localeCompare(b))) {
    for (const method of METHODS) {
      const op = item[method]
      if (!op) continue
      const statuses = Object.keys(op.responses).sort()
      const success = statuses.filter((s) => Number(s) < 400).map((s) => `\`${s}\``)
      const problems = statuses
        .filter((s) => Number(s) >= 400)
        .map((s) => `\`${s}\`: ${(op.responses[s]!.description ?? '').split(' | ').map(code).join(', ')}`)
      // The scheme's name is the scope: `bearer` (consumer or operator token), `operator` (operator only).
      const auth = op.security?.length ? op.security.flatMap((s) => Object.keys(s)).join(' or ') : 'public'
      rows.push(
        `| ${method.toUpperCase()} | \`${path}\` | ${auth} | ${success.join(', ')} | ${problems.join('; ')} |`,
      )
    }
  }
  return rows.join('\n')
}

/** The generated table's rows as trimmed cells (so a formatter's column padding does not matter). */
export function routeRows(file: string): string[][] {
  const start = file.indexOf(BEGIN)
  const end = file.indexOf(END)
  if (start < 0 || end < start) throw new Error(`docs/api.md: the markers ${BEGIN} ... ${END} are missing`)
  return file
    .slice(start + BEGIN.length, end)
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|[-| ]+\|$/.test(line))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    )
}

/** The file with its generated table replaced by `table`. Throws if the markers are missing. */
export function withRouteTable(file: string, table: string): string {
  const start = file.indexOf(BEGIN)
  const end = file.indexOf(END)
  if (start < 0 || end < start) throw new Error(`docs/api.md: the markers ${BEGIN} ... ${END} are missing`)
  return `${file.slice(0, start + BEGIN.length)}\n${table}\n${file.slice(end)}`
}
