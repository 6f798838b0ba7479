import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** A folder of lib/ that must not import what `forbidden` matches (relative specifiers). */
function layer(files, forbidden, message) {
  return {
    files: [files],
    rules: {
      'no-restricted-imports': ['error', { paths: ['express', 'connect', 'ws'], patterns: [{ regex: forbidden.source, message }] }],
    },
  };
}

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
    ignores: ['lib/cli/**'],
    rules: {
      'no-console': 'error',
      'no-restricted-imports': ['error', { paths: ['express', 'connect', 'ws'] }],
    },
  },
  // Each folder of lib/ may depend only on the folders below it (docs/architecture.md, "Layers").
  layer('lib/util/**/*.ts', /^\.\.\/(?!errors\/proxy-error\.js$|types(?:\/[\w-]+)?\.js$)/, 'util/ depends on nothing else in lib/ but the error class and the public types'),
  layer('lib/errors/**/*.ts', /^\.\.\/(?!util\/|types(?:\/[\w-]+)?\.js$|options\.js$)/, 'errors/ may use util/ and the option types only'),
  layer('lib/options.ts', /^undici(?:\/|$)|^\.\/(?!util\/|errors\/|options\/|types(?:\/[\w-]+)?\.js$)/,
    'the options are resolved with util/, errors/ and the public types only: no client library, no transport'),
  layer('lib/options/**/*.ts', /^undici(?:\/|$)|^\.\.\/(?!util\/|errors\/|options\.js$|types(?:\/[\w-]+)?\.js$)/,
    'an option reader uses util/, errors/ and the public types only: no client library, no transport'),
  layer('lib/hooks/**/*.ts', /^\.\.\/(?!util\/|errors\/|options\.js$|types(?:\/[\w-]+)?\.js$)/, 'hooks/ may use util/, errors/, the options and the types only'),
  layer('lib/transport/**/*.ts', /^\.\.\/(?:upgrade|rewrite|cli|stages|hooks)\/|^\.\.\/http\/(?!exchange\.js$|informational\.js$)/,
    'a transport knows the exchange and the 1xx relay of the HTTP path, nothing else of it, and nothing of upgrades or rewriting'),
  layer('lib/rewrite/**/*.ts', /^(?:\.\.\/)+(?:upgrade|cli)\//, 'rewriting knows nothing of upgrades'),
  layer('lib/http/**/*.ts', /^(?:\.\.\/)+(?:upgrade|cli)\//, 'the HTTP path knows nothing of upgrades'),
  layer('lib/upgrade/**/*.ts', /^\.\.\/(?:http|transport|cli)\//, 'the upgrade path knows nothing of the HTTP path or its transports'),
  layer('lib/stages/**/*.ts', /^\.\.\/(?!types(?:\/[\w-]+)?\.js$|util\/|errors\/proxy-error\.js$|rewrite\/codec\.js$)/, 'a ready-made stage is a user of the public types, with util/, the error class and the codec'),
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
    // The demo is a user's program: the package by its name, plus Express and ws (dev dependencies; not published).
    files: ['examples/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../*'], message: "use the public API: import from 'upgrade-aware-proxy'" }] },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
