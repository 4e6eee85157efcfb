/**
 * Tool-backed tests: rendered host scripts and cloud-init checked with the real shellcheck and
 * cloud-init (Debian packages `shellcheck` and `cloud-init`). They fail when a tool is missing.
 * Run with `npx jest -c jest.tools.config.js`.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/tools'],
  testMatch: ['**/*.tools.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true, tsconfig: 'tsconfig.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 120000,
};
