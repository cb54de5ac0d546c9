import js from '@eslint/js'
import tseslint from 'typescript-eslint'

/**
 * One-way boundaries in apps/api/src (issue 15). Feature folders import the shared KYC state
 * (kyc-state/) and the infrastructure (common/, database/, config/, align/), never each other;
 * kyc-state/ imports only the infrastructure; the infrastructure imports no feature and no kyc-state/.
 * One exception: events/outbox.ts, the outbox's entry point (appendEvent), which every change's
 * transaction calls, may be imported from kyc-state/ and the features (issue 17).
 */
const API_SRC = 'apps/api/src'
const FEATURES = ['customers', 'kyc', 'virtual-accounts', 'webhooks', 'health', 'events', 'stats']
const INFRASTRUCTURE = ['common', 'database', 'config', 'align']
const forbid = (folders, message) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        {
          regex: `^(\\.\\./)+(${folders.map((f) => (f === 'events' ? 'events/(?!outbox\\.js$)' : `${f}/`)).join('|')})`,
          message,
        },
      ],
    },
  ],
})
const boundaries = [
  ...FEATURES.map((feature) => ({
    files: [`${API_SRC}/${feature}/**/*.ts`],
    rules: forbid(
      FEATURES.filter((f) => f !== feature),
      'A feature folder does not import another feature: move what both need into kyc-state/ (or common/).',
    ),
  })),
  {
    files: [`${API_SRC}/kyc-state/**/*.ts`],
    rules: forbid(FEATURES, 'kyc-state/ is shared by the features and imports none of them.'),
  },
  {
    files: INFRASTRUCTURE.map((folder) => `${API_SRC}/${folder}/**/*.ts`),
    rules: forbid(
      [...FEATURES, 'kyc-state'],
      'common/, database/, config/ and align/ are below the features and kyc-state/ and import neither.',
    ),
  },
]

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/coverage/**',
      '**/reports/**',
      '**/.stryker-tmp/**',
      'apps/api/src/generated/**',
      '**/*.mjs',
      '**/.out/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  ...boundaries,
)
