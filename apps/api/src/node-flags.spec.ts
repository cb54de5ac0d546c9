import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { SERVICE_NODE_FLAGS } from './node-flags.js'

const scripts = (file: string) =>
  (JSON.parse(readFileSync(path.resolve(file), 'utf8')) as { scripts: Record<string, string> }).scripts

describe('SERVICE_NODE_FLAGS', () => {
  const flags = SERVICE_NODE_FLAGS.join(' ')

  it('is what the start scripts run the service with', () => {
    // jest runs in apps/api
    expect(scripts('package.json').start).toBe(`node ${flags} dist/main.js`)
    const root = scripts('../../package.json')
    expect(root['start:prod']).toBe(`node ${flags} apps/api/dist/main.js`)
    expect(root.start).toMatch(/ && npm run start:prod$/)
  })

  it('is accepted by this node (an unknown flag makes node exit with "bad option")', () => {
    const out = execFileSync(process.execPath, [...SERVICE_NODE_FLAGS, '-p', 'process.execArgv.length'])
    expect(out.toString().trim()).toBe(String(SERVICE_NODE_FLAGS.length + 2))
  })
})
