// One Jest run for the whole suite: unit specs (*.spec.ts), integration specs on the real
// Postgres and Kafka (*.integration-spec.ts) and end-to-end specs over real processes (*.e2e-spec.ts).
const fs = require('node:fs');
const swcrc = JSON.parse(fs.readFileSync(`${__dirname}/.swcrc`, 'utf8'));

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools', '<rootDir>/bench'],
  testMatch: ['**/*.spec.ts', '**/*.integration-spec.ts', '**/*.e2e-spec.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swcrc, swcrc: false }] },
  moduleNameMapper: { '^@paystream/(.*)$': '<rootDir>/libs/$1/src/index.ts' },
  globalSetup: '<rootDir>/libs/shared/testing/src/jest-global-setup.ts',
  globalTeardown: '<rootDir>/libs/shared/testing/src/jest-global-teardown.ts',
  setupFiles: ['reflect-metadata'],
  // every test must make at least one assertion (no test that can only pass)
  setupFilesAfterEnv: ['<rootDir>/libs/shared/testing/src/jest-require-assertions.ts'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
