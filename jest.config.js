/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testTimeout: 30000,
  // Test files are independent (every server on port 0, every temp folder their own), and most
  // wait on sockets and child processes: three workers keep 2 cores busy where jest's default
  // (cores - 1) runs one file at a time.
  maxWorkers: 3,
};
