import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', '**/dist/**', 'openapi/sdk/**', '**/build/**', '.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  // The dashboard runs in the browser and knows the service only through the generated SDK.
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
                'node:*',
              ],
              message: 'The dashboard talks to the API through the generated SDK (openapi/sdk) only.',
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
  prettier,
);
