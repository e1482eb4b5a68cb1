/**
 * Where a grading chunk's time goes: the bench's data (6,000 organisations, `--orgs N`, 1,000
 * with `--quick`), then EXPLAIN (ANALYZE, BUFFERS) of the one statement that regrades the first
 * chunk (rolled back), then a first yearly run with the time of each statement it sends, summed
 * by its first words.
 * Run: node -r @swc-node/register tests/bench/social-organisations/explain.ts [--orgs 6000] [--chunk 1000] [--quick] [--keep]
 */
import { loadavg } from 'node:os';
import { regradeSql } from '../../../subgraphs/social-organisations/src/grading/grading.service';
import { gradeYear } from '../../../subgraphs/social-organisations/src/grading/grading.run';
import { schemeForYear } from '../../../subgraphs/social-organisations/src/scheme/scheme.service';
import { arg, openBench, orgUscc, quick, runBench, seedOrganisations, timed, timeStatements, YEAR } from './setup';

const ORGS = arg('--orgs', quick ? 1000 : 6000);
const CHUNK = arg('--chunk', 1000);

runBench(async () => {
  const bench = await openBench({ database: 'cp_bench_so_explain', queuePrefix: 'cpexplain', options: { gradingChunkSize: CHUNK } });
  const { ds, rt } = bench;
  try {
    console.log(`machine load (1 min): ${loadavg()[0].toFixed(1)}; ${ORGS} organisations, chunks of ${CHUNK}`);
    await seedOrganisations(ds, { orgs: ORGS });

    const usccs = Array.from({ length: Math.min(CHUNK, ORGS) }, (_, i) => orgUscc(i + 1));
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
