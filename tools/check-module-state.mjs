#!/usr/bin/env node
// Fails when a subgraph keeps mutable state at module level (docs/architecture.md, "one runtime
// passed in"): a top-level `let`/`var`, a top-level `new` of a stateful object (Map, Set, Ledger,
// JobRuns, …), an empty array to be filled later, or an object holder with slots left null to be
// set at start. Frozen constant data (Object.freeze, `as const`, literals) is fine.
//
//   node tools/check-module-state.mjs [root ...]     (default: subgraphs/*/src)
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const roots = process.argv.slice(2).length
  ? process.argv.slice(2).map((r) => path.resolve(r))
  : fs.readdirSync(path.join(repo, 'subgraphs')).map((s) => path.join(repo, 'subgraphs', s, 'src')).filter((d) => fs.existsSync(d));

/** `new X` of these makes immutable values; anything else constructed at module level is state. */
const IMMUTABLE_CLASSES = new Set(['RegExp', 'URL', 'Date', 'Error', 'TextEncoder', 'TextDecoder', 'Intl.DateTimeFormat', 'Intl.NumberFormat', 'Intl.Collator']);

function files(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const unwrap = (e) => {
  while (e && (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isTypeAssertionExpression(e) || ts.isNonNullExpression(e))) {
    if (ts.isAsExpression(e) && ts.isTypeReferenceNode(e.type) && e.type.typeName.getText() === 'const') return { expr: e.expression, frozen: true };
    e = e.expression;
  }
  return { expr: e, frozen: false };
};

const isNullish = (e) => e.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(e) && e.text === 'undefined');
const typeAllowsNull = (t) => !!t && /\|\s*(null|undefined)\b|\b(null|undefined)\s*\|/.test(t.getText());

/** Why a top-level const initialiser is mutable state, or null when it is not. */
function mutableInit(init, declaredType) {
  const { expr, frozen } = unwrap(init);
  if (!expr || frozen) return null;
  if (ts.isCallExpression(expr) && expr.expression.getText() === 'Object.freeze') return null;
  if (ts.isNewExpression(expr)) {
    const cls = expr.expression.getText();
    return IMMUTABLE_CLASSES.has(cls) ? null : `new ${cls}(…) at module level`;
  }
  if (ts.isArrayLiteralExpression(expr) && expr.elements.length === 0) return 'an empty array filled at run time';
  if (ts.isObjectLiteralExpression(expr)) {
    for (const p of expr.properties) {
      if (ts.isPropertyAssignment(p)) {
        const v = unwrap(p.initializer).expr;
        if (isNullish(v)) return `a holder object whose ${p.name.getText()} is set later`;
        const inner = mutableInit(p.initializer, undefined);
        if (inner && ts.isNewExpression(v)) return `a holder object keeping ${inner}`;
      }
    }
    if (declaredType && ts.isTypeLiteralNode(declaredType) && declaredType.members.some((m) => ts.isPropertySignature(m) && typeAllowsNull(m.type))) {
      return 'a holder object with slots typed to be set later';
    }
  }
  return null;
}

const findings = [];
for (const root of roots) {
  for (const file of files(root)) {
    const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
    for (const st of sf.statements) {
      if (!ts.isVariableStatement(st)) continue;
      const flags = st.declarationList.flags;
      const kind = flags & ts.NodeFlags.Let ? 'let' : flags & ts.NodeFlags.Const ? 'const' : 'var';
      for (const d of st.declarationList.declarations) {
        const name = d.name.getText();
        let why = null;
        if (kind !== 'const') why = `top-level ${kind}`;
        else if (d.initializer) why = mutableInit(d.initializer, d.type);
        if (why) {
          const { line } = sf.getLineAndCharacterOfPosition(d.getStart());
          findings.push(`${path.relative(repo, file)}:${line + 1}  ${name}: ${why}`);
        }
      }
    }
  }
}

if (findings.length) {
  console.error(`module-level mutable state (${findings.length}); pass it in the subgraph's runtime instead:`);
  for (const f of findings) console.error(`  ${f}`);
  process.exit(1);
}
console.log(`no module-level mutable state in ${roots.length} source tree(s)`);
