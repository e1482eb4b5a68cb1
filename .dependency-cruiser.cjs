/**
 * Imports point down: subgraphs and the gateway stand on libs; infra and the tests stand on all
 * of them. `npm run check:imports` runs this (with tools/check-module-state.mjs) in CI.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'subgraph-src-not-sideways',
      comment: 'a subgraph does not import another subgraph; they meet through the gateway and events',
      severity: 'error',
      from: { path: '^subgraphs/([^/]+)/src/' },
      to: { path: '^subgraphs/', pathNot: '^subgraphs/$1/' },
    },
    {
      name: 'subgraph-test-only-public-index',
      comment: "a subgraph's tests may start another subgraph (e.g. registry) through its package index, nothing deeper",
      severity: 'error',
      from: { path: '^subgraphs/([^/]+)/test/' },
      to: { path: '^subgraphs/', pathNot: ['^subgraphs/$1/', '^subgraphs/[^/]+/src/index\\.ts$'] },
    },
    {
      name: 'subgraphs-not-up',
      comment: 'subgraphs do not import infra/ or the gateway',
      severity: 'error',
      from: { path: '^subgraphs/' },
      to: { path: '^(infra|gateway)/' },
    },
    {
      name: 'libs-point-down',
      comment: 'libs never import subgraphs, the gateway, infra or the tests',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^(subgraphs|gateway|infra|tests)/' },
    },
    {
      name: 'testing-not-gateway',
      comment: 'libs/testing does not import the gateway: the city test harness lives in tests/support (@citypoints/test-city)',
      severity: 'error',
      from: { path: '^libs/testing/' },
      to: { path: '^(subgraphs|gateway|infra|tests)/' },
    },
    {
      name: 'gateway-process-loads-no-subgraph',
      comment: 'the gateway process learns subgraph names and URLs from configuration; it must not load subgraph code, even through infra',
      severity: 'error',
      from: { path: '^gateway/src/main\\.ts$' },
      to: { path: '^subgraphs/[^/]+/src/index\\.ts$', reachable: true },
    },
    {
      name: 'gateway-not-subgraphs',
      comment: 'the gateway learns subgraph URLs from configuration, it does not load subgraph code',
      severity: 'error',
      from: { path: '^gateway/src/' },
      to: { path: '^subgraphs/' },
    },
  ],
  options: {
    includeOnly: '^(libs|subgraphs|gateway|infra|tests|tools)/',
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['main', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
