/**
 * Where a batch of member-penalty events' time goes: the bench's data (6,000 organisations,
 * `--orgs N`, 1,000 with `--quick`; five member enterprises per organisation, each in two) graded
 * once, then 1,000 events applied in batches of 100 with the time of each statement they send,
 * summed by its first words; EXPLAIN (ANALYZE, BUFFERS) of one more batch's regrade statement
 * (rolled back); then the live path (outbox → relay → queue → the subgraph's consumer) for 1,000
 * more, each statement stamped with when it was sent and answered.
 * Run: node -r @swc-node/register tests/bench/social-organisations/explain-events.ts [--orgs 6000] [--chunk 1000] [--quick]
 */
import { gradeYear } from '../../../subgraphs/social-organisations/src/grading/grading.run';
import {
  applyPenalties, createCreditOutbox, creditRelay, interceptQueries, openExplainBench, penaltyEvent, publishPenalties, runBench, S, seedOrganisations, timed, timeStatements, until, YEAR,
} from './setup';

runBench(async () => {
  const bench = await openExplainBench();
  const { ds, rt, orgs } = bench;
  try {
    await seedOrganisations(ds, { orgs, enterprises: orgs * 5 });
    await gradeYear(rt, YEAR, null);
    await ds.query('ANALYZE');

    const statements = timeStatements(70);
    const applied = await timed(async () => {
      for (let b = 0; b < 10; b++) await applyPenalties(bench, Array.from({ length: 100 }, (_, k) => penaltyEvent(b * 100 + k)));
    });
    statements.stop();
    // one more batch, its regrade statement explained (then rolled back)
    const restore = interceptQueries(async (send, [sql, params]) => {
      if (!String(sql).startsWith('WITH def AS')) return send(sql, params);
      const plan = (await send(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params)) as { 'QUERY PLAN': string }[];
      console.log(plan.map((r) => r['QUERY PLAN'].slice(0, 200)).join('\n'));
      throw Object.assign(new Error('explained'), { explained: true });
    });
    await applyPenalties(bench, Array.from({ length: 100 }, (_, k) => penaltyEvent(1000 + k))).catch((e: { explained?: boolean }) => {
      if (!e.explained) throw e;
    });
    restore();

    // the live path: outbox → relay → queue → the subgraph's consumer, each batch's claim and commit stamped
    await createCreditOutbox(ds);
    await publishPenalties(ds, { from: 2000, count: 1000, recordPrefix: 'live-', publicUntil: null });
    const stamps: string[] = [];
    const t0 = process.hrtime.bigint();
    const at = () => (Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0);
    const unstamp = interceptQueries(async (send, args) => {
      const sql = String(args[0]);
      const claim = sql.includes('"inbox" ("event_id", "consumer") SELECT');
      const began = at();
      const r = await send(...args);
      if (claim) stamps.push(`claim of ${(args[1] as unknown[][])[0].length} sent at ${began} ms, answered at ${at()} ms`);
      else stamps.push(`${sql.replace(/\s+/g, ' ').slice(0, 70)} sent at ${began} ms, answered at ${at()} ms`);
      return r;
    });
    await bench.startWorkers();
    const relay = creditRelay(bench);
    relay.start();
    await until(async () => (await ds.query(`SELECT count(*)::int AS n FROM ${S}.credit_record_facts WHERE record_id LIKE 'live-%'`))[0].n === 1000);
    console.log(`\nlive path: 1,000 events applied by ${at()} ms`);
    await relay.stop();
    unstamp();
    console.log(stamps.join('\n'));
    console.log(`\n1,000 events in batches of 100: ${applied.ms.toFixed(0)} ms; by statement:`);
    console.log(statements.report());
  } finally {
    await bench.close();
  }
});
