import { startCity, type TestCity } from '@citypoints/test-city';
import { makeUscc } from '@citypoints/kit';
import { enterpriseCreditModule, type EnterpriseCreditRuntime } from '@citypoints/enterprise-credit';
import { startScoringRun } from '../../subgraphs/enterprise-credit/src/labour/labour.scoring';
import { completedRun, killWhenUnderway } from './mid-run';
import { JOB_LOCK_MS, startWorkerProcess, type WorkerProcess } from './worker-process';

const ENTERPRISES = 12_000;
const CHUNK = 300;
const PERIOD = '2026-10';
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

function usccOf(i: number): string {
  let body = '';
  for (let k = 0, n = i; k < 9; k++, n = Math.floor(n / 31)) body = ALPHABET[n % 31] + body;
  return makeUscc('91', '441900', body);
}

/**
 * enterprise-credit's worker process killed with SIGKILL halfway through a labour-risk scoring
 * run: after a restart the stalled job scores exactly the chunks not yet done, so every
 * enterprise has one score and every rise one alert.
 */
describe('enterprise-credit worker killed during labour-risk scoring', () => {
  let city: TestCity;
  let worker: WorkerProcess | undefined;
  const ec = () => city.instances['enterprise-credit'].dataSource;
  const env = { ENTERPRISE_CREDIT_SCORING_CHUNK: String(CHUNK), ENTERPRISE_CREDIT_JOB_LOCK_MS: String(JOB_LOCK_MS) };

  beforeAll(async () => {
    city = await startCity({ modules: [enterpriseCreditModule({ scoringChunkSize: CHUNK })], label: 'faults_scoring' });
    const usccs = Array.from({ length: ENTERPRISES }, (_, i) => usccOf(i));
    await ec().query(`INSERT INTO enterprise_credit.enterprises (uscc, name, division_code) SELECT u, '企业' || n, '441900003' FROM unnest($1::text[]) WITH ORDINALITY AS x(u, n)`, [usccs]);
    // every third enterprise owes wages for over 60 days (DANGER, an alert); the others are calm
    await ec().query(
      `INSERT INTO enterprise_credit.labour_indicators (uscc, period, wage_arrears_days, workers_owed, arrears_amount, pay_cycle_days, rent_arrears_months, electricity_ratio,
                                                       social_insurance_arrears_months, tax_arrears_months, petitions, group_incident)
       SELECT u, $2, CASE WHEN n % 3 = 1 THEN 61 ELSE 0 END, 0, 0, 30, 0, 1, 0, 0, 0, false FROM unnest($1::text[]) WITH ORDINALITY AS x(u, n)`,
      [usccs, PERIOD],
    );
    await ec().query(`ANALYZE enterprise_credit.labour_indicators`);
  });
  afterAll(async () => {
    await worker?.kill();
    await city?.close();
  });

  it('scores every enterprise once and raises each alert once after the worker is killed mid-run', async () => {
    worker = startWorkerProcess('enterprise-credit', city, env);
    const requested = await startScoringRun(city.instances['enterprise-credit'].runtime as EnterpriseCreditRuntime, PERIOD);
    const run = async () => (await ec().query(`SELECT status, attempts, counters, result FROM enterprise_credit.job_runs WHERE id = $1`, [requested.id]))[0];
    const chunks = Math.ceil(ENTERPRISES / CHUNK);

    const at = await killWhenUnderway(worker, run, chunks, { underway: (r) => Number(r.counters.chunksDone ?? 0) >= 2 });
    const [{ done: chunksAtKill }] = await ec().query(`SELECT count(*)::int AS done FROM enterprise_credit.scoring_run_chunks WHERE run_id = $1 AND done_at IS NOT NULL`, [requested.id]);
    expect(chunksAtKill).toBeLessThan(chunks);
    // two lanes commit side by side, so the run's progress may lag a chunk behind the chunks' own marks
    expect(Number(at.run.counters.chunksDone)).toBeLessThanOrEqual(chunksAtKill);
    const [{ n: scoresAtKill }] = await ec().query(`SELECT count(*)::int AS n FROM enterprise_credit.labour_risk_scores WHERE run_id = $1`, [requested.id]);
    expect(scoresAtKill).toBe(chunksAtKill * CHUNK);

    worker = startWorkerProcess('enterprise-credit', city, env);
    const done = await completedRun(worker, run);
    expect(done.attempts).toBe(2);
    const dangerous = Math.ceil(ENTERPRISES / 3);
    expect(done.result).toEqual({ scored: ENTERPRISES, alertsRaised: dangerous, chunks });

    const [scores] = await ec().query(`SELECT count(*)::int AS n, count(DISTINCT uscc)::int AS d FROM enterprise_credit.labour_risk_scores WHERE period = $1`, [PERIOD]);
    expect(scores).toEqual({ n: ENTERPRISES, d: ENTERPRISES });
    const [alerts] = await ec().query(`SELECT count(*)::int AS n, count(DISTINCT uscc)::int AS d FROM enterprise_credit.risk_alerts WHERE period = $1`, [PERIOD]);
    expect(alerts).toEqual({ n: dangerous, d: dangerous });
  });
});
