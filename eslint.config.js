// eslint (flat config), run by `make lint`: typescript-eslint's recommended rules, import
// cycles (import-x/no-cycle), unused imports and variables, and the product boundary:
// src/ never imports bench/ or test/ (the CLI ships without them).
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import unusedImports from 'eslint-plugin-unused-imports';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.pgdata/', '.tap/', 'tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
    plugins: { 'import-x': importX, 'unused-imports': unusedImports },
    settings: {
      'import-x/extensions': ['.ts', '.mjs', '.js'],
      'import-x/resolver': { node: { extensions: ['.ts', '.mjs', '.js'] } },
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      'import-x/no-duplicates': 'error',
      // unused-imports reports (and --fix removes) unused imports; unused variables and
      // parameters are errors unless their name starts with _
      '@typescript-eslint/no-unused-vars': 'off',
      'unused-imports/no-unused-imports': 'error',
      'unused-imports/no-unused-vars': [
        'error',
        {
          vars: 'all',
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrors: 'none',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    // Tests match printed tables (runs of spaces are the columns) and hostile bytes.
    files: ['test/**/*.ts'],
    rules: { 'no-regex-spaces': 'off', 'no-control-regex': 'off' },
  },
  {
    // The product: what bin/scoreline and the image run.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/bench/**', '**/bench'], message: 'src/ does not import bench/: benchmarks run from the Makefile (make bench)' },
            { group: ['**/test/**', '**/test'], message: 'src/ does not import test/: tests import the product, not the other way round' },
          ],
        },
      ],
    },
  },
);
