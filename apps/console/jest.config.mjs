import { jestConfig } from '../../jest.base.mjs'

// The console's pure modules (formatting, the timeline merge); the pages are covered in Chromium by
// apps/api/test/console.e2e-spec.ts.
export default jestConfig()
