import { jestConfig } from '../../jest.base.mjs'

// tsc runs several times per scenario on a shared machine: allow for it.
export default jestConfig({ testMatch: ['<rootDir>/*.spec.ts'], testTimeout: 120_000 })
