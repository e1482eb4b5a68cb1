import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { Client } from 'pg';
import { addMonths, cityDate } from '@citypoints/kit';
import { eventually, labourReport, ok, seed, startCity, type TestCity } from '@citypoints/test-city';
import { registry } from '@citypoints/registry';
import { enterpriseCreditModule } from '@citypoints/enterprise-credit';

const ROOT = path.resolve(__dirname, '../../..');
const CHUNK = 2;
const ENTERPRISES = 48;

/** This subgraph's worker process, as `src/worker.ts` runs in production, on the test's database and queues. */
function startWorkerProcess(city: TestCity): ChildProcess {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    DATABASE_URL: city.db.url,
    QUEUE_PREFIX: city.queuePrefix,
    QUEUE_BACKEND: city.queue.kind,
    ENTERPRISE_CREDIT_SCORING_CHUNK: String(CHUNK),
    ENTERPRISE_CREDIT_JOB_LOCK_MS: '1500',
  };
  if (city.queue.kind === 'redis') env.REDIS_URL = city.queue.url;
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'subgraphs/enterprise-credit/src/worker.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', () => undefined);
  child.stderr?.on('data', () => undefined);
  return child;
}

describe('a scoring run whose worker is killed halfway', () => {
  let city: TestCity;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    city = await startCity({ modules: [registry, enterpriseCreditModule({ scoringChunkSize: CHUNK, jobLockMs: 1500 })] });
    await city.instances.registry.startWorkers();
  });
  afterAll(async () => {
    if (child && child.exitCode == null) child.kill('SIGKILL');
    await city.close();
  });

  it('finishes after a restart with every enterprise scored once and no duplicate alerts', async () => {
    const ec = city.instances['enterprise-credit'].dataSource;
    child = startWorkerProcess(city);
    const enterprises = await Promise.all(Array.from({ length: ENTERPRISES }, (_, i) => seed(city).enterprise({ divisionCode: i % 2 ? '441900003' : '441900121' })));
    await eventually(async () => (await ec.query(`SELECT count(*)::int AS n FROM enterprise_credit.enterprises`))[0].n === ENTERPRISES, 40_000);

    const period = addMonths(cityDate(new Date()), -1).slice(0, 7);
    const danger = (i: number) => i % 3 === 0;
    const reports = enterprises.map((e, i) => labourReport(e.uscc, period, { wageArrearsDays: danger(i) ? 61 : 0 }));
    const feed = await city.token('DATA_FEED', { department: 'HUMAN_RESOURCES' });
    const admin = await city.token('CITY_ADMIN');
    expect(ok(await city.query(`mutation($r: [LabourIndicatorsInput!]!) { reportLabourIndicators(reports: $r) }`, { r: reports }, feed)).reportLabourIndicators).toBe(reports.length);
    const run = ok(await city.query(`mutation($p: String!) { runLabourRiskScoring(period: $p) { id status } }`, { p: period }, admin)).runLabourRiskScoring;
    const chunks = Math.ceil(reports.length / CHUNK);

    // hold the run's row once a few chunks are committed: every chunk in flight waits on it to commit
    await eventually(async () => {
      const [r] = await ec.query(`SELECT (counters->>'chunksDone')::int AS c FROM enterprise_credit.job_runs WHERE id = $1`, [run.id]);
      return r.c >= 3;
    }, 30_000, 5);
    const holder = new Client({ connectionString: city.db.url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM enterprise_credit.job_runs WHERE id = $1 FOR UPDATE`, [run.id]);
    const [{ done: doneChunks }] = (await holder.query(`SELECT count(*)::int AS done FROM enterprise_credit.scoring_run_chunks WHERE run_id = $1 AND done_at IS NOT NULL`, [run.id])).rows;
    expect(doneChunks).toBeLessThan(chunks);

    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    await holder.query('ROLLBACK');
    await holder.end();
    const [mid] = await ec.query(`SELECT count(*)::int AS n FROM enterprise_credit.labour_risk_scores WHERE run_id = $1`, [run.id]);
    expect(mid.n).toBe(doneChunks * CHUNK);

    await city.instances['enterprise-credit'].startWorkers();
    const done = await eventually(async () => {
      const r = ok(await city.query(`query($id: ID!) { scoringRun(id: $id) { status progress scored alertsRaised } }`, { id: run.id }, admin)).scoringRun;
      return r.status === 'COMPLETED' ? r : null;
    }, 40_000);
    const expectedAlerts = enterprises.filter((_, i) => danger(i)).length;
    expect(done).toEqual({ status: 'COMPLETED', progress: 1, scored: reports.length, alertsRaised: expectedAlerts });

    const [scores] = await ec.query(`SELECT count(*)::int AS n, count(DISTINCT uscc)::int AS d FROM enterprise_credit.labour_risk_scores WHERE period = $1 AND run_id = $2`, [period, run.id]);
    expect(scores).toEqual({ n: reports.length, d: reports.length });
    const [alerts] = await ec.query(`SELECT count(*)::int AS n, count(DISTINCT uscc)::int AS d FROM enterprise_credit.risk_alerts WHERE period = $1`, [period]);
    expect(alerts).toEqual({ n: expectedAlerts, d: expectedAlerts });
    const [attempts] = await ec.query(`SELECT attempts FROM enterprise_credit.job_runs WHERE id = $1`, [run.id]);
    expect(attempts.attempts).toBe(2);
  });
});
