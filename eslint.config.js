import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import prettier from 'eslint-config-prettier';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

/**
 * Who may import whom (docs/ARCHITECTURE.md, "Folders and who may import whom"). Each zone forbids
 * the files under `target` to import anything under `from`; paths are resolved, so a relative
 * import cannot slip past a rule by its spelling.
 */
const TRAINER_PARTS = ['model', 'io', 'tokenizer', 'data', 'optim', 'train', 'checkpoint', 'native'].map(
  (p) => `./runner/${p}`,
);
const zones = [
  {
    target: './openapi',
    from: ['./functions', './runner', './infra', './test'],
    message: 'The contract imports nothing of the app: the document is built from openapi/ alone.',
  },
  {
    target: './functions/domain',
    from: ['./functions/adapters', './functions/api', './functions/handlers', './functions/config'],
    message: 'The domain knows nothing of adapters, the API or the entry points: go through a port.',
  },
  {
    target: './functions/ports',
    from: ['./functions/adapters', './functions/api', './functions/handlers', './functions/config'],
    message: 'Ports are interfaces of the domain; they do not know their implementations.',
  },
  {
    target: './functions/adapters',
    from: ['./functions/api', './functions/handlers'],
    message: 'Adapters implement ports; they do not know who composes them.',
  },
  {
    target: './functions/api',
    from: ['./functions/adapters', './functions/handlers'],
    message: 'The API gets its adapters from its composition root (deps), never by import.',
  },
  {
    target: './functions',
    from: ['./runner', './infra', './test'],
    message: 'functions/ imports only itself and the contract.',
  },
  {
    target: TRAINER_PARTS,
    from: ['./functions', './infra'],
    message:
      "The trainer's parts import only the contract and each other (runner/entry is the composition root).",
  },
  {
    target: './runner',
    from: ['./infra', './test'],
    message: 'The runner does not depend on where it is deployed or on tests.',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', '**/dist/**', 'openapi/sdk/**', '**/build/**', '.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  // The dashboard runs in the browser and knows the service only through the generated SDK (and the
  // contract's plain name lists in openapi/enums.ts, which import nothing).
  {
    files: ['dashboard/src/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/functions/**',
                '**/runner/**',
                '**/infra/**',
                '**/openapi/*',
                '!**/openapi/sdk',
                '!**/openapi/enums',
                'node:*',
              ],
              message:
                'The dashboard talks to the API through the generated SDK (openapi/sdk) only; openapi/enums holds the shared name lists.',
            },
          ],
        },
      ],
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.mjs', '.js', '.json'] })],
    },
    rules: { 'import-x/no-restricted-paths': ['error', { zones }] },
  },
  {
    // Package-level rules the path zones cannot express.
    files: ['functions/domain/**/*.ts', 'functions/ports/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'hono',
                'hono/*',
                '@hono/node-server',
                '@aws-sdk/*',
                'aws4',
                'aws-cdk-lib',
                'aws-cdk-lib/*',
              ],
              message: 'The domain knows nothing of Hono or AWS: put it in an adapter behind a port.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['openapi/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!zod|@hono/zod-openapi|@hey-api/openapi-ts|node:|\\.)',
              message: 'The contract imports zod (and its OpenAPI extension) only.',
            },
          ],
        },
      ],
    },
  },
  prettier,
);
