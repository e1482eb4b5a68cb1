/**
 * Where a grading chunk's time goes: the bench's data (6,000 organisations, `--orgs N`, 1,000
 * with `--quick`), then EXPLAIN (ANALYZE, BUFFERS) of the one statement that regrades the first
 * chunk (rolled back), then a first yearly run with the time of each statement it sends, summed
 * by its first words.
 * Run: node -r @swc-node/register tests/bench/social-organisations/explain.ts [--orgs 6000] [--chunk 1000] [--quick] [--keep]
 */
import { regradeSql } from '../../../subgraphs/social-organisations/src/grading/grading.service';
import { gradeYear } from '../../../subgraphs/social-organisations/src/grading/grading.run';
import { schemeForYear } from '../../../subgraphs/social-organisations/src/scheme/scheme.service';
import { openExplainBench, orgUscc, runBench, seedOrganisations, timed, timeStatements, YEAR } from './setup';

runBench(async () => {
  const bench = await openExplainBench();
  const { ds, rt, orgs, chunk } = bench;
  try {
    await seedOrganisations(ds, { orgs });

    const usccs = Array.from({ length: Math.min(chunk, orgs) }, (_, i) => orgUscc(i + 1));
    const scheme = await schemeForYear(ds, YEAR);
    await ds.transaction(async (m) => {
      const plan: { 'QUERY PLAN': string }[] = await m.query(`EXPLAIN (ANALYZE, BUFFERS, TIMING) ${regradeSql(rt.ledger)}`, [
        usccs, YEAR, scheme.id, scheme.code, scheme.version, new Date(), JSON.stringify(scheme.definition), 'explain', null,
      ]);
      console.log(plan.map((r) => r['QUERY PLAN'].slice(0, 240)).join('\n'));
      throw Object.assign(new Error('rolled back'), { rolledBack: true });
    }).catch((e: { rolledBack?: boolean }) => {
      if (!e.rolledBack) throw e;
    });

    // a whole run, every statement timed
    const statements = timeStatements(60);
    const run = await timed(() => gradeYear(rt, YEAR, null));
    statements.stop();
    console.log(`\nfirst run: ${run.ms.toFixed(0)} ms; by statement:`);
    console.log(statements.report());
  } finally {
    await bench.close();
  }
});
