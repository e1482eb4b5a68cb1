/** Fault tests: real processes (a Redis server of the test's own) stopped and resumed under writes. `npm run test:faults`. */
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: ['<rootDir>/tests/faults/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 240000,
  maxWorkers: 1,
};
