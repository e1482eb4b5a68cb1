import { ok, startCity, type TestCity } from '@citypoints/test-city';
import { socialOrganisations, type SocialOrganisationsRuntime } from '@citypoints/social-organisations';
import { completedRun, killWhenUnderway } from './mid-run';
import { startWorkerProcess, type WorkerProcess } from './worker-process';

const ORGANISATIONS = 1500;
const YEAR = 2025;

/**
 * social-organisations' worker process killed with SIGKILL halfway through the yearly grading:
 * after a restart the stalled job resumes the run at its first uncommitted chunk, every
 * organisation is graded once, and the funding rewards are decided once over all of them.
 */
describe('social-organisations worker killed during the yearly grading', () => {
  let city: TestCity;
  let worker: WorkerProcess | undefined;
  const so = () => city.instances['social-organisations'].dataSource;

  beforeAll(async () => {
    city = await startCity({ modules: [socialOrganisations], label: 'faults_grading' });
    // organisations as registry's events project them, each with the year's indicators entered
    await so().query(
      `INSERT INTO social_organisations.organisations (uscc, name, kind, division_code)
       SELECT '51441900' || lpad(i::text, 10, '0'), '商会' || i, CASE WHEN i % 3 = 0 THEN 'INDUSTRY_ASSOCIATION' ELSE 'CHAMBER_OF_COMMERCE' END, '441900003'
         FROM generate_series(1, $1::int) i`,
      [ORGANISATIONS],
    );
    await so().query(
      `INSERT INTO social_organisations.indicator_records (uscc, year, category, points, idempotency_key, entered_by)
       SELECT uscc, $1, 'BASIC_WORK', 5 + (hashtext(uscc) & 31), 'fault-' || uscc, 'civil-faults' FROM social_organisations.organisations`,
      [YEAR],
    );
  });
  afterAll(async () => {
    await worker?.kill();
    await city?.close();
  });

  it('grades every organisation exactly once after the worker is killed mid-run', async () => {
    worker = startWorkerProcess('social-organisations', city);
    const civilAffairs = await city.token('DATA_FEED', { sub: 'civil-faults', department: 'CIVIL_AFFAIRS' });
    const started = ok(await city.query(`mutation($y: Int!) { startOrganisationGrading(year: $y) { id organisations } }`, { y: YEAR }, civilAffairs)).startOrganisationGrading;
    expect(started.organisations).toBe(ORGANISATIONS);
    const run = async () => (await so().query(`SELECT status, attempts, counters, result FROM social_organisations.job_runs WHERE id = $1`, [started.id]))[0];

    const at = await killWhenUnderway(worker, run, ORGANISATIONS + 1);
    expect(at.checkpoint).toBeLessThan(ORGANISATIONS);
    const [{ n: gradedAtKill }] = await so().query(`SELECT count(*)::int AS n FROM social_organisations.grading_run_items WHERE run_id = $1`, [started.id]);
    expect(gradedAtKill).toBe(at.checkpoint);

    worker = startWorkerProcess('social-organisations', city);
    const done = await completedRun(worker, async () => ok(await city.query(`query($id: ID!) { organisationGradingRun(id: $id) { status progress organisations graded attempts error } }`, { id: started.id }, civilAffairs)).organisationGradingRun);
    expect(done).toEqual({ status: 'COMPLETED', progress: 1, organisations: ORGANISATIONS, graded: ORGANISATIONS, attempts: 2, error: null });

    // each organisation graded by this run once, one grading per organisation and year
    const [items] = await so().query(`SELECT count(*)::int AS n, max(times)::int AS most, min(times)::int AS least FROM social_organisations.grading_run_items WHERE run_id = $1`, [started.id]);
    expect(items).toEqual({ n: ORGANISATIONS, most: 1, least: 1 });
    const [gradings] = await so().query(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE rewards_decided_at IS NULL)::int AS undecided, count(*) FILTER (WHERE rewarded)::int AS rewarded
         FROM social_organisations.gradings WHERE year = $1`,
      [YEAR],
    );
    expect(gradings.n).toBe(ORGANISATIONS);
    // the rewards step, the run's last item, ran over every organisation's grading
    expect(gradings.undecided).toBe(0);
    expect(gradings.rewarded).toBeGreaterThan(0);
    const rt = city.instances['social-organisations'].runtime as SocialOrganisationsRuntime;
    expect(await so().transaction((m) => rt.ledger.checkInvariants(m))).toEqual([]);
  });
});
