#!/usr/bin/env node
// Runs one of the city's compiled entry points — `start` (the default), `workers`, `token`,
// `compose`, `import` — building dist/ first when it is missing or older than the sources.
// `npm start` is the one-machine development city: NODE_ENV defaults to development here.
'use strict';
const path = require('node:path');
const { build, isStale, DIST } = require('./build');

const ENTRIES = { start: 'infra/start.js', workers: 'infra/workers.js', migrate: 'infra/migrate.js', token: 'infra/token.js', compose: 'infra/compose.js', import: 'infra/import/main.js' };

async function main() {
  const name = process.argv[2] && ENTRIES[process.argv[2]] ? process.argv.splice(2, 1)[0] : 'start';
  process.env.NODE_ENV ??= 'development';
  if (isStale()) await build();
  require(path.join(DIST, ENTRIES[name]));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
