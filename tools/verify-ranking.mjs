#!/usr/bin/env node
// Checks a published school-admission run (docs/verifiable-rankings.md) from its two documents:
//   node tools/verify-ranking.mjs inputs.jsonl outputs.jsonl <inputDigest> <outputDigest>
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
const [inFile, outFile, inDigest, outDigest] = process.argv.slice(2);
const sha = (s) => createHash('sha256').update(s, 'utf8').digest('hex');
const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const inputs = readFileSync(inFile, 'utf8'), published = readFileSync(outFile, 'utf8').split('\n').filter(Boolean);
const rows = inputs.split('\n').filter(Boolean).map((l) => JSON.parse(l));
const h = rows[0], seats = new Map(rows.filter((r) => 'school' in r).map((r) => [r.school, r.seats]));
const apps = rows.filter((r) => 'app' in r), inPool = (a) => a.eligible && a.total >= 0, lot = (a) => sha(h.seed + a.app);
const pool = apps.filter(inPool).sort((a, b) => b.priority - a.priority || (a.priority && b.priority ? cmp(a.submittedAt, b.submittedAt) : 0)
  || b.total - a.total || b.tie[0] - a.tie[0] || b.tie[1] - a.tie[1] || cmp(lot(a), lot(b)) || cmp(a.app, b.app));
const out = pool.map((a, i) => {
  const school = a.preferences.find((p) => (seats.get(p) ?? 0) > 0) ?? null;
  if (school) seats.set(school, seats.get(school) - 1);
  return { rank: i + 1, app: a.app, school, outcome: school ? 'ADMITTED' : 'WAITLISTED' };
});
for (const a of apps.filter((x) => !inPool(x)).sort((x, y) => cmp(x.app, y.app))) out.push({ rank: null, app: a.app, school: null, outcome: a.eligible ? 'REJECTED' : 'INELIGIBLE' });
const recomputed = out.map((r) => JSON.stringify(r));
const problems = [];
if (sha(inputs) !== inDigest) problems.push('inputs: the document does not match the input digest');
if (sha(recomputed.map((l) => l + '\n').join('')) !== outDigest) problems.push('output: the list recomputed from the inputs does not match the output digest');
for (let i = 0; i < Math.max(recomputed.length, published.length); i++) {
  if (recomputed[i] !== published[i]) problems.push(`row ${i + 1}: published ${published[i] ?? '(none)'}; recomputed ${recomputed[i] ?? '(none)'}`);
}
console.log(problems.length ? problems.join('\n') : `identical: ${out.length} applications, output ${outDigest}`);
process.exit(problems.length ? 1 : 0);
