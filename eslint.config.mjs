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
    // The command line is built on the public API like any user's code, with Node alone.
    files: ['lib/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: ['express', 'connect', 'ws'], patterns: [{ group: ['../*', '!../index.js'], message: 'use the public API: ../index.js' }] },
      ],
    },
  },
  {
    // The demo is a user's program: the public API, plus Express and ws (dev dependencies; not published).
    files: ['lib/demo/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../*', '!../index.js'], message: 'use the public API: ../index.js' }] },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
