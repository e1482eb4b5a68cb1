/** One jest run over every project: libs, subgraphs, gateway and the end-to-end tests. */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs', ignoreDynamic: true },
  },
];

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc, '^.+/node_modules/jose/.+\\.js$': swc },
  // jose is published as ESM only; jest's module system needs it in CommonJS
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  testMatch: ['<rootDir>/{libs,subgraphs,gateway}/**/test/**/*.spec.ts', '<rootDir>/tests/conformance/**/*.spec.ts', '<rootDir>/tests/e2e/**/*.spec.ts', '<rootDir>/tests/browser/**/*.spec.ts', '<rootDir>/infra/**/test/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/tests/bench/'],
  globalSetup: '<rootDir>/infra/jest/global-setup.ts',
  globalTeardown: '<rootDir>/infra/jest/global-teardown.ts',
  setupFiles: ['reflect-metadata'],
  testTimeout: 60000,
  maxWorkers: 2,
};
