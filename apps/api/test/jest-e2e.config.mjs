import { jestConfig } from '../../../jest.base.mjs'

// End-to-end: the real app over HTTP, the machine's PostgreSQL (one database per test file, cloned
// from a migrated template made once per run), Align replaced by the emulator over real HTTP.
export default jestConfig({
  rootDir: '..',
  testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  setupFilesAfterEnv: ['<rootDir>/test/support/leftovers.ts'],
  testTimeout: 60_000,
  maxWorkers: 2,
})
