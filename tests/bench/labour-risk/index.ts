/**
 * Labour-risk scoring at city scale: N enterprises (default 1,000,000) with one month of
 * indicators, loaded with COPY; then the real scoring job (BullMQ job → chunks → levels, alerts,
 * status changes and their events written) against one hand-written SQL statement storing the
 * same levels. Runs alternate — job, statement, job, statement … — and the medians are compared;
 * before each job run after the first, the job's outputs are emptied (TRUNCATE), so every run is a
 * first scoring of the month, and each job run is timed until its events are relayed too, before
 * the statement runs.
 *
 *   node -r @swc-node/register tests/bench/labour-risk/index.ts [--enterprises=200000] [--runs=3]
 *     [--chunk=N] [--lanes=N]   (default: the subgraph's, ENTERPRISE_CREDIT_SCORING_CHUNK / _LANES)
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { withDatabase } from '@citypoints/db';
import { pingRedis, type QueueConnection } from '@citypoints/jobs';
import { FixedClock, makeUscc, seededRandom } from '@citypoints/kit';
import { enterpriseCreditModule, type EnterpriseCreditRuntime } from '../../../subgraphs/enterprise-credit/src';
import { startScoringRun } from '../../../subgraphs/enterprise-credit/src/labour/labour.scoring';

const arg = (name: string): number | undefined => {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? Number(hit.split('=')[1]) : undefined;
};
const N = arg('enterprises') ?? 1_000_000;
const RUNS = arg('runs') ?? 3;
const CHUNK = arg('chunk');
const LANES = arg('lanes');
const PERIOD = '2026-05';
const ADMIN_URL = process.env.CITYPOINTS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TOWNS = ['441900003', '441900004', '441900110', '441900119', '441900121', '441900123'];
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

function usccOf(i: number): string {
  let body = '';
  for (let k = 0, n = i; k < 9; k++, n = Math.floor(n / 31)) body = ALPHABET[n % 31] + body;
  return makeUscc('91', '441900', body);
}

/** Mostly calm enterprises; about 6 in 100 troubled, fewer than 1 in 100 badly. */
function* indicatorLines(rnd: () => number): Generator<string> {
  for (let i = 0; i < N; i++) {
    const u = usccOf(i);
    const r = rnd();
    const troubled = r < 0.06;
    const severe = r < 0.006;
    const wage = severe ? Math.floor(rnd() * 90) + 1 : troubled && rnd() < 0.5 ? Math.floor(rnd() * 30) + 1 : 0;
    const workers = wage ? Math.floor(rnd() * 80) : 0;
    const cycle = troubled && rnd() < 0.3 ? 40 : 30;
    const rent = troubled ? Math.floor(rnd() * 4) : 0;
    const elec = troubled ? (0.2 + rnd() * 0.7).toFixed(3) : (0.75 + rnd() * 0.5).toFixed(3);
    const si = troubled ? Math.floor(rnd() * 4) : 0;
    const tax = troubled ? Math.floor(rnd() * 3) : 0;
    const pet = troubled ? Math.floor(rnd() * 6) : 0;
    const group = severe && rnd() < 0.1 ? 't' : 'f';
    yield `${u}\t${PERIOD}\t${wage}\t${workers}\t${wage ? workers * 4200 : 0}\t${cycle}\t${rent}\t${elec}\t${si}\t${tax}\t${pet}\t${group}\n`;
  }
}

async function copy(client: Client, sql: string, lines: Iterable<string>): Promise<void> {
  const batched = (function* () {
    let buf = '';
    for (const l of lines) {
      buf += l;
      if (buf.length > 1 << 20) {
        yield buf;
        buf = '';
      }
    }
    if (buf) yield buf;
  })();
  await pipeline(Readable.from(batched), client.query(copyFrom(sql)));
}

/** The default table of docs/domain/06-labour-risk.md written out by hand: the baseline the job is measured against. */
const HAND_WRITTEN_LEVELS = `
  SELECT uscc, CASE
      WHEN group_incident OR (electricity_ratio < 0.3 AND wage_arrears_days > 0) THEN 'CRITICAL'
      WHEN s >= 80 THEN 'CRITICAL'
      WHEN s >= 60 OR wage_arrears_days > 60 THEN 'DANGER'
      WHEN s >= 40 THEN 'RISK'
      WHEN s >= 20 THEN 'PROBLEM'
      ELSE 'NORMAL' END AS level, s AS score
  FROM (SELECT uscc, group_incident, electricity_ratio, wage_arrears_days,
      CASE WHEN wage_arrears_days = 0 THEN 0 WHEN wage_arrears_days <= 30 THEN 20 WHEN wage_arrears_days <= 60 THEN 35 ELSE 50 END
    + CASE WHEN workers_owed >= 50 THEN 20 WHEN workers_owed >= 10 THEN 10 ELSE 0 END
    + CASE WHEN pay_cycle_days > 35 THEN 10 ELSE 0 END
    + CASE WHEN rent_arrears_months >= 3 THEN 20 WHEN rent_arrears_months = 2 THEN 10 WHEN rent_arrears_months = 1 THEN 5 ELSE 0 END
    + CASE WHEN electricity_ratio >= 0.7 THEN 0 WHEN electricity_ratio >= 0.5 THEN 10 WHEN electricity_ratio >= 0.3 THEN 20 ELSE 30 END
    + CASE WHEN social_insurance_arrears_months >= 3 THEN 20 WHEN social_insurance_arrears_months = 2 THEN 10 WHEN social_insurance_arrears_months = 1 THEN 5 ELSE 0 END
    + CASE WHEN tax_arrears_months >= 2 THEN 10 WHEN tax_arrears_months = 1 THEN 5 ELSE 0 END
    + CASE WHEN petitions >= 5 THEN 25 WHEN petitions >= 2 THEN 15 WHEN petitions = 1 THEN 5 ELSE 0 END AS s
    FROM enterprise_credit.labour_indicators WHERE period = '${PERIOD}') x`;

const seconds = (ms: number) => (ms / 1000).toFixed(2) + ' s';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1];
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');

async function main(): Promise<void> {
  const dbName = `cp_bench_labour_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  const url = withDatabase(ADMIN_URL, dbName);
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const queue: QueueConnection = (await pingRedis(redisUrl)) ? { kind: 'redis', url: redisUrl } : { kind: 'postgres', url, schema: 'bullmq' };
  const inst = await enterpriseCreditModule({
    webhookSecretKey: randomBytes(32),
    ...(CHUNK ? { scoringChunkSize: CHUNK } : {}),
    ...(LANES ? { scoringLanes: LANES } : {}),
  }).create({
    databaseUrl: url,
    queue,
    queuePrefix: `bench${randomBytes(3).toString('hex')}`,
    clock: new FixedClock(new Date('2026-06-15T02:00:00Z')),
  });
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { scoringChunkSize, scoringLanes } = (inst.runtime as EnterpriseCreditRuntime).options;
    console.log(`labour-risk benchmark: ${N.toLocaleString('en')} enterprises, chunks of ${scoringChunkSize.toLocaleString('en')}, ${scoringLanes} lanes, queues on ${queue.kind}, ${RUNS} runs; load average ${load()}`);
    let t = Date.now();
    await copy(client, `COPY enterprise_credit.enterprises (uscc, name, division_code) FROM STDIN`, (function* () {
      for (let i = 0; i < N; i++) yield `${usccOf(i)}\t企业${i}\t${TOWNS[i % TOWNS.length]}\n`;
    })());
    const cols = `(uscc, period, wage_arrears_days, workers_owed, arrears_amount, pay_cycle_days, rent_arrears_months, electricity_ratio, social_insurance_arrears_months, tax_arrears_months, petitions, group_incident)`;
    await copy(client, `COPY enterprise_credit.labour_indicators ${cols} FROM STDIN`, indicatorLines(seededRandom(20260615)));
    await client.query(`ANALYZE enterprise_credit.enterprises`);
    await client.query(`ANALYZE enterprise_credit.labour_indicators`);
    console.log(`loaded with COPY in ${seconds(Date.now() - t)}`);
    await client.query(`CREATE TABLE enterprise_credit.bench_baseline (uscc text PRIMARY KEY, level text NOT NULL, score int NOT NULL)`);
    await inst.startWorkers();

    const jobRuns: number[] = [];
    const relayedRuns: number[] = [];
    const nodeCpuRuns: number[] = [];
    const storeRuns: number[] = [];
    const computeRuns: number[] = [];
    let last = { scored: 0, alertsRaised: 0, statuses: 0, mismatched: -1 };
    for (let k = 0; k < RUNS; k++) {
      if (k > 0) {
        // the job's outputs emptied: this run is again the month's first scoring
        await client.query(
          `TRUNCATE enterprise_credit.labour_risk_scores, enterprise_credit.webhook_deliveries, enterprise_credit.risk_alerts, enterprise_credit.credit_status,
             enterprise_credit.outbox, enterprise_credit.outbox_sequence`,
        );
      }
      const cpu0 = process.cpuUsage();
      t = Date.now();
      const run = await startScoringRun(inst.runtime as EnterpriseCreditRuntime, PERIOD);
      let status = 'QUEUED';
      while (status !== 'COMPLETED' && status !== 'FAILED') {
        await new Promise((r) => setTimeout(r, 20));
        status = (await client.query(`SELECT status FROM enterprise_credit.job_runs WHERE id = $1`, [run.id])).rows[0].status;
      }
      jobRuns.push(Date.now() - t);
      // its events leave through the relay: waited for, so they do not run beside the statement
      while ((await client.query(`SELECT 1 FROM enterprise_credit.outbox WHERE relayed_at IS NULL LIMIT 1`)).rows.length) await new Promise((r) => setTimeout(r, 20));
      relayedRuns.push(Date.now() - t);
      const cpu = process.cpuUsage(cpu0);
      nodeCpuRuns.push((cpu.user + cpu.system) / 1000);
      const done = (await client.query(`SELECT status, result, error FROM enterprise_credit.job_runs WHERE id = $1`, [run.id])).rows[0];
      if (done.status !== 'COMPLETED') throw new Error(`scoring run failed: ${done.error}`);

      // the baseline stores its levels too, keyed like the job's scores, in one statement
      await client.query(`TRUNCATE enterprise_credit.bench_baseline`);
      t = Date.now();
      await client.query(`INSERT INTO enterprise_credit.bench_baseline ${HAND_WRITTEN_LEVELS}`);
      storeRuns.push(Date.now() - t);
      t = Date.now();
      await client.query(`SELECT level, count(*) FROM (${HAND_WRITTEN_LEVELS}) l GROUP BY level`);
      computeRuns.push(Date.now() - t);

      const [{ mismatched }] = (
        await client.query(
          `SELECT count(*)::int AS mismatched FROM enterprise_credit.bench_baseline b
           FULL JOIN (SELECT uscc, level, score FROM enterprise_credit.labour_risk_scores WHERE period = '${PERIOD}') s USING (uscc)
           WHERE b.level IS DISTINCT FROM s.level OR b.score IS DISTINCT FROM s.score`,
        )
      ).rows;
      const [{ statuses }] = (await client.query(`SELECT count(*)::int AS statuses FROM enterprise_credit.credit_status`)).rows;
      last = { scored: done.result.scored, alertsRaised: done.result.alertsRaised, statuses, mismatched: Math.max(last.mismatched, mismatched) };
      console.log(
        `run ${k + 1}: job ${seconds(jobRuns[k])} (events relayed at ${seconds(relayedRuns[k])}, this process's CPU ${seconds(nodeCpuRuns[k])}), statement ${seconds(storeRuns[k])}, ` +
          `ratio ${(jobRuns[k] / storeRuns[k]).toFixed(2)}×; scored ${done.result.scored.toLocaleString('en')}, alerts ${done.result.alertsRaised.toLocaleString('en')}, ` +
          `status changes ${statuses.toLocaleString('en')}, levels differing ${mismatched}; load average ${load()}`,
      );
    }
    const jobMs = median(jobRuns);
    const sqlMs = median(storeRuns);
    const computeMs = median(computeRuns);
    const levels = (await client.query(`SELECT level, count(*)::int AS n FROM enterprise_credit.labour_risk_scores GROUP BY level ORDER BY min(level_rank)`)).rows;
    const [{ events }] = (await client.query(`SELECT count(*)::int AS events FROM enterprise_credit.outbox`)).rows;

    console.log(`levels: ${levels.map((l: { level: string; n: number }) => `${l.level} ${l.n.toLocaleString('en')}`).join(', ')}`);
    console.log(`scoring run (job → levels, alerts, statuses and their events written): ${seconds(jobMs)} (median of ${jobRuns.map(seconds).join(', ')}); events relayed at ${seconds(median(relayedRuns))}`);
    console.log(`  scored ${last.scored.toLocaleString('en')}, alerts ${last.alertsRaised.toLocaleString('en')}, status changes ${last.statuses.toLocaleString('en')}, events ${events.toLocaleString('en')}`);
    console.log(`hand-written SQL statement storing the same levels:  ${seconds(sqlMs)} (median of ${storeRuns.map(seconds).join(', ')}); computing them alone: ${seconds(computeMs)}`);
    console.log(`ratio job / SQL statement: ${(jobMs / sqlMs).toFixed(2)}× (target ≤ 2×)   (to computing alone: ${(jobMs / computeMs).toFixed(2)}×)   levels differing from the baseline: ${last.mismatched}`);
    console.log(
      `\nlabour_risk_enterprises: ${N} chunk: ${scoringChunkSize} lanes: ${scoringLanes} runs: ${RUNS} job_ms: ${jobMs} sql_ms: ${sqlMs} compute_ms: ${computeMs} ratio: ${(jobMs / sqlMs).toFixed(2)}` +
        ` relayed_ms: ${median(relayedRuns)} node_cpu_ms: ${median(nodeCpuRuns).toFixed(0)} scored: ${last.scored} alerts: ${last.alertsRaised} status_changes: ${last.statuses} events: ${events}` +
        ` mismatched: ${last.mismatched} queue: ${queue.kind} load1: ${loadavg()[0].toFixed(1)}`,
    );
  } finally {
    await client.end();
    await inst.close();
    if (process.argv.includes('--keep')) console.log(`kept database ${dbName}`);
    else await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
