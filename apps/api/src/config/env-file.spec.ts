import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseEnv } from 'node:util'
import { loadConfig } from './app-config.js'

const EXAMPLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../.env.example')
const README = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../README.md')

/** Every variable name loadConfig reads, seen through a proxy over an empty environment. */
function variablesLoadConfigReads(): string[] {
  const read = new Set<string>()
  const env = new Proxy({} as Record<string, string | undefined>, {
    get(_target, key) {
      if (typeof key === 'string' && /^[A-Z][A-Z0-9_]*$/.test(key)) read.add(key)
      return undefined
    },
  })
  loadConfig(env)
  return [...read].sort()
}

describe('.env.example', () => {
  // Its lines are `# NAME=default`: uncommented, they must be exactly the variables the config reads,
  // and a valid configuration together.
  const uncommented = parseEnv(readFileSync(EXAMPLE, 'utf8').replace(/^# ?([A-Z][A-Z0-9_]*=)/gm, '$1'))

  it('documents every variable the configuration reads, and no other', () => {
    expect(Object.keys(uncommented).sort()).toEqual(variablesLoadConfigReads())
  })

  it('shows values that are valid as they stand', () => {
    // A line with nothing after `=` stands for "unset" (an empty list value is refused).
    const withValues = Object.fromEntries(Object.entries(uncommented).filter(([, v]) => v !== ''))
    expect(() => loadConfig(withValues)).not.toThrow()
  })
})

describe('README configuration table', () => {
  it('has one row for every variable the configuration reads, and no other', () => {
    const readme = readFileSync(README, 'utf8')
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Production'))
    const rows = [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]!)
    expect(rows.sort()).toEqual(variablesLoadConfigReads())
  })
})
