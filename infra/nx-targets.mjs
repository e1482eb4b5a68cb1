// Gives every workspace project the two Nx targets (typecheck, test) and a tsconfig of its own.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dirs = ['libs', 'subgraphs'].flatMap((d) => fs.readdirSync(path.join(root, d)).map((n) => path.join(d, n))).concat(['gateway', 'tests']);
for (const dir of dirs) {
  const pkgPath = path.join(root, dir, 'package.json');
  if (!fs.existsSync(pkgPath)) continue;
  const pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8'));
  const up = path.relative(path.join(root, dir), root);
  pkg.scripts = {
    ...(pkg.scripts ?? {}),
    typecheck: 'tsc -p tsconfig.json --noEmit',
    test: `cd ${up} && jest --passWithNoTests ${dir}/`,
  };
  fs.writeFileSync(pkgPath, JSON.stringify(pkg, null, 2) + '\n');
  const include = dir === 'tests' ? ['**/*.ts'] : ['src/**/*.ts', 'test/**/*.ts'];
  fs.writeFileSync(path.join(root, dir, 'tsconfig.json'), JSON.stringify({ extends: `${up}/tsconfig.base.json`, include }, null, 2) + '\n');
}
