// Jest 30 in ESM mode with @swc/jest (ts-jest does not support TypeScript 7); type checking is a
// separate step (`tsc --noEmit`). Two projects: pure unit tests next to the code, and suites that
// need the real control plane in e2e/.
const swc = [
  '@swc/jest',
  {
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': swc },
  testEnvironment: 'node',
  // Property tests draw from a fixed seed unless BULKHEAD_SEED says otherwise (e2e/harness/seed.ts).
  setupFilesAfterEnv: ['<rootDir>/e2e/harness/seed.ts'],
};
export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/e2e/harness/global-setup.ts',
      globalTeardown: '<rootDir>/e2e/harness/global-teardown.ts',
    },
  ],
  reporters: ['default', '<rootDir>/hack/summary-reporter.cjs'],
};
