import { jestConfig } from '../../jest.base.mjs'

// Unit tests next to the code (src/**/*.spec.ts); the PGlite-backed migrator spec needs time.
export default jestConfig({ testTimeout: 60_000 })
