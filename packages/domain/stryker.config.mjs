// @ts-check
// StrykerJS mutation testing for the domain rules: `npm run mutation`.
//
// Jest runs as native ESM (see ../../jest.base.mjs), hence --experimental-vm-modules. The Jest config
// is passed inline rather than through jest.config.mjs because Stryker runs the tests from a sandbox
// copy of this package (.stryker-tmp/sandbox-*), where that file's relative import of the workspace
// base config would not resolve; `configFile: 'package.json'` (no `jest` key) only anchors rootDir.
import { jestConfig } from '../../jest.base.mjs'

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  jest: {
    projectType: 'custom',
    configFile: 'package.json',
    config: jestConfig(),
    enableFindRelatedTests: true,
  },
  checkers: [],
  coverageAnalysis: 'perTest',
  mutate: ['src/**/*.ts', '!src/**/*.spec.ts', '!src/index.ts'],
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  clearTextReporter: {
    allowColor: false,
    logTests: false,
    reportTests: false,
    reportMutants: true,
    reportScoreTable: true,
  },
  thresholds: { high: 95, low: 90, break: 90 },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  concurrency: 4,
  timeoutMS: 10000,
}
