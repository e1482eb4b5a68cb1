#!/usr/bin/env node
// `npm run build`: compiles the city's TypeScript to CommonJS in dist/ with swc (decorator
// metadata kept, as type-graphql and TypeORM need it), copies the page assets, and points each
// @citypoints/* package at its compiled code through dist/node_modules, so `node dist/…` runs
// without any TypeScript at run time. `node infra/build.js --if-stale` builds only when a source
// file is newer than the last build.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const STAMP = path.join(DIST, '.built');

/** the same transform jest uses (jest.config.js) */
const SWC = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs', ignoreDynamic: true },
  sourceMaps: true,
  swcrc: false,
};

function workspaces() {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const out = [];
  for (const pattern of pkg.workspaces) {
    const dirs = pattern.endsWith('/*') ? fs.readdirSync(path.join(ROOT, pattern.slice(0, -2))).map((n) => path.join(pattern.slice(0, -2), n)) : [pattern];
    for (const dir of dirs) {
      const file = path.join(ROOT, dir, 'package.json');
      if (!fs.existsSync(file)) continue;
      const p = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (p.main && fs.existsSync(path.join(ROOT, dir, 'src'))) out.push({ dir, name: p.name, main: p.main });
    }
  }
  return out;
}

/** every folder whose TypeScript runs in production: each package's src/ and infra/ (tests and benches stay out) */
function sourceRoots() {
  return [...workspaces().map((w) => path.join(w.dir, 'src')), 'infra'];
}

function walk(dir, out = []) {
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (['node_modules', 'test', 'jest', 'k8s', 'deploy'].includes(entry.name)) continue;
      walk(rel, out);
    } else out.push(rel);
  }
  return out;
}

function sources() {
  return sourceRoots().flatMap((r) => walk(r)).filter((f) => !f.endsWith('.spec.ts') && !f.endsWith('.md'));
}

function newestSource() {
  let newest = 0;
  for (const f of [...sources(), 'package.json', 'infra/build.js']) newest = Math.max(newest, fs.statSync(path.join(ROOT, f)).mtimeMs);
  return newest;
}

function isStale() {
  if (!fs.existsSync(STAMP)) return true;
  return newestSource() > fs.statSync(STAMP).mtimeMs;
}

async function build() {
  const swc = require('@swc/core');
  const started = Date.now();
  fs.rmSync(DIST, { recursive: true, force: true });
  const files = sources();
  let compiled = 0;
  const queue = [...files];
  async function next() {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const src = path.join(ROOT, f);
      if (f.endsWith('.ts') && !f.endsWith('.d.ts')) {
        const outFile = path.join(DIST, f.replace(/\.ts$/, '.js'));
        const { code, map } = await swc.transformFile(src, { ...SWC, filename: src, sourceFileName: path.relative(path.dirname(outFile), src) });
        fs.mkdirSync(path.dirname(outFile), { recursive: true });
        fs.writeFileSync(outFile, code + `\n//# sourceMappingURL=${path.basename(outFile)}.map\n`);
        if (map) fs.writeFileSync(outFile + '.map', map);
        compiled++;
      } else if (!f.endsWith('.ts') && !f.endsWith('.js') && !f.endsWith('.mjs')) {
        // assets next to the code that reads them (the lookup page, SQL, JSON)
        const outFile = path.join(DIST, f);
        fs.mkdirSync(path.dirname(outFile), { recursive: true });
        fs.copyFileSync(src, outFile);
      }
    }
  }
  await Promise.all(Array.from({ length: 8 }, next));
  // @citypoints/<name> resolves to the compiled package from anywhere under dist/
  for (const w of workspaces()) {
    const shim = path.join(DIST, 'node_modules', w.name);
    const target = path.join(DIST, w.dir, w.main.replace(/\.ts$/, '.js'));
    fs.mkdirSync(shim, { recursive: true });
    fs.writeFileSync(path.join(shim, 'index.js'), `module.exports = require(${JSON.stringify(path.relative(shim, target).split(path.sep).join('/').replace(/^(?!\.)/, './'))});\n`);
    fs.writeFileSync(path.join(shim, 'package.json'), JSON.stringify({ name: w.name, main: 'index.js', private: true }) + '\n');
  }
  fs.writeFileSync(STAMP, new Date().toISOString() + '\n');
  console.log(`[build] compiled ${compiled} files into dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

module.exports = { build, isStale, DIST };

if (require.main === module) {
  const ifStale = process.argv.includes('--if-stale');
  (ifStale && !isStale() ? Promise.resolve() : build()).catch((e) => {
    console.error('[build] failed:', e);
    process.exit(1);
  });
}
