import { emulatorStateProblem } from './emulator-state.check.js'

const known = {
  customers: [
    { customer: { customer_id: 'a1', email: 'a@example.com', type: 'individual' as const }, documents: [] },
  ],
  links: [{ token: 'tok1', customerId: 'a1', expiresAt: 0 }],
}
const pglite = { kind: 'pglite' as const, dataDir: '/srv/app/.data/pglite' }
const base = {
  database: pglite,
  stateFile: '/srv/app/.data/pglite.align-emulator.json',
  fileExisted: false,
  cwd: '/srv/app',
  emulator: known,
}

describe('emulatorStateProblem', () => {
  it('is null when the emulator knows every customer and live link sampled (or there are none)', () => {
    expect(
      emulatorStateProblem({
        ...base,
        references: { alignCustomerIds: ['a1'], liveLinkUrls: ['http://127.0.0.1:1/flow/tok1'] },
      }),
    ).toBeNull()
    expect(
      emulatorStateProblem({ ...base, references: { alignCustomerIds: [], liveLinkUrls: [] } }),
    ).toBeNull()
  })

  it('names the file, the embedded database and the ways out, in one line, paths relative to the working directory', () => {
    const problem = emulatorStateProblem({
      ...base,
      emulator: { customers: [], links: [] },
      references: { alignCustomerIds: ['a1', 'a2'], liveLinkUrls: ['http://127.0.0.1:1/flow/tok1'] },
    })
    expect(problem).toBe(
      'Align emulator state lost: 2 customers and 1 live KYC link in the embedded database .data/pglite are ' +
        'unknown to the built-in Align emulator (its state file .data/pglite.align-emulator.json is missing), ' +
        'so their links would open as 404. Restore that file, delete .data/pglite and ' +
        '.data/pglite.align-emulator.json to start from scratch, or set ALIGN_EMULATOR_STATE_FILE=none to start anyway.',
    )
  })

  it('says the file does not hold them when it exists, and counts only what the emulator lacks', () => {
    const problem = emulatorStateProblem({
      ...base,
      fileExisted: true,
      references: {
        alignCustomerIds: ['a1'],
        liveLinkUrls: ['http://127.0.0.1:1/flow/tok1', 'http://127.0.0.1:1/flow/lost'],
      },
    })
    expect(problem).toMatch(
      /^Align emulator state lost: 1 live KYC link in .* is unknown .*does not hold them\)/,
    )
  })

  it('on PostgreSQL names database and host, never the credentials, and keeps absolute paths outside the working directory', () => {
    const problem = emulatorStateProblem({
      ...base,
      database: { kind: 'postgres', url: 'postgresql://kyc:s3cret@db.internal:6543/kyc_dev' },
      stateFile: '/var/tmp/align.json',
      references: { alignCustomerIds: ['gone'], liveLinkUrls: [] },
    })
    expect(problem).toContain('1 customer in database kyc_dev on db.internal:6543 is unknown')
    expect(problem).toContain('(its state file /var/tmp/align.json is missing)')
    expect(problem).toContain('point DATABASE_URL at an empty database to start from scratch')
    expect(problem).not.toContain('s3cret')
  })
})
