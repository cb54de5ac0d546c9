#!/usr/bin/env node
/**
 * Runs the Align emulator standalone:
 *   node dist/esm/testing/cli.js [--port 4010] [--host 127.0.0.1] [--api-key KEY] [--link-ttl-ms MS] [--latency-ms MS]
 * Prints the URL on stdout, logs deliveries on stderr, stops on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util'
import { AlignEmulator } from './emulator.js'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4010' },
    host: { type: 'string', default: '127.0.0.1' },
    'api-key': { type: 'string' },
    'link-ttl-ms': { type: 'string' },
    'latency-ms': { type: 'string' },
  },
})

const number = (value: string | undefined, name: string): number | undefined => {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name} must be a non-negative number`)
    process.exit(2)
  }
  return n
}

const emulator = new AlignEmulator({
  port: number(values.port, 'port'),
  host: values.host,
  apiKey: values['api-key'],
  linkTtlMs: number(values['link-ttl-ms'], 'link-ttl-ms'),
  latencyMs: number(values['latency-ms'], 'latency-ms'),
  logger: {
    info: (msg, meta) => console.error(msg, meta ?? ''),
    warn: (msg, meta) => console.error(msg, meta ?? ''),
  },
})

const { url } = await emulator.start()
console.log(url)
if (values['api-key'] === undefined) console.error(`using the default emulator API key '${emulator.apiKey}'`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void emulator.stop().then(() => process.exit(0))
  })
}
