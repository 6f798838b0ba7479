import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The core knows nothing of Express, the command line or the console.
    files: ['lib/**/*.ts'],
    ignores: ['lib/cli/**', 'lib/demo/**'],
    rules: {
      'no-console': 'error',
      'no-restricted-imports': ['error', { paths: ['express', 'connect', 'ws'] }],
    },
  },
  {
    // The command line and the demo are built on the public API like any user's code.
    files: ['lib/cli/**/*.ts', 'lib/demo/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: ['express', 'connect'], patterns: [{ group: ['../*', '!../index.js'], message: 'use the public API: ../index.js' }] },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
