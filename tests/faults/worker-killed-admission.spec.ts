import { startCity, type TestCity } from '@citypoints/test-city';
import { settlement } from '@citypoints/settlement';
import { requestAdmissionRun } from '../../subgraphs/settlement/src/admission/admission.service';
import { SchoolGrade } from '../../subgraphs/settlement/src/schools/school.type';
import type { SettlementRuntime } from '../../subgraphs/settlement/src/runtime';
import { completedRun, killWhenUnderway } from './mid-run';
import { startWorkerProcess, type WorkerProcess } from './worker-process';

const APPLICATIONS = 20_000;
const SCHOOLS = 20;
const YEAR = 2026;
const TOWN = '441900200';

/**
 * settlement's worker process killed with SIGKILL in the middle of a school-admission run (ranked,
 * placing): its one transaction rolls back, the stalled job runs again in the restarted process,
 * and every application has exactly one result, no school over its seats.
 */
describe('settlement worker killed during an admission run', () => {
  let city: TestCity;
  let worker: WorkerProcess | undefined;
  const ds = () => city.instances.settlement.dataSource;

  beforeAll(async () => {
    city = await startCity({ modules: [settlement], label: 'faults_admission' });
    // one town's pool at city scale: schools with seats for about 70% of the applicants, verified applications
    await ds().query(`INSERT INTO settlement.schools (id, name, town_code) SELECT gen_random_uuid(), 'school ' || g, $1 FROM generate_series(1, $2::int) g`, [TOWN, SCHOOLS]);
    await ds().query(
      `INSERT INTO settlement.school_seats (school_id, year, grade, seats) SELECT id, $1, $2, $3 FROM settlement.schools WHERE town_code = $4`,
      [YEAR, SchoolGrade.PRIMARY_1, Math.round((APPLICATIONS * 0.7) / SCHOOLS), TOWN],
    );
    const [{ id: scheme }] = await ds().query(`SELECT id FROM settlement.schemes WHERE code = 'DG-SCHOOL'`);
    await ds().query(
      `WITH schools AS (SELECT array_agg(id ORDER BY id) AS ids FROM settlement.schools WHERE town_code = $1),
       apps AS (SELECT g, 1 + (g % 3) AS n_prefs, ((g::bigint * 7919) % 1000) / 1000.0 AS r1, ((g::bigint * 104729) % 1000) / 1000.0 AS r2, ((g::bigint * 1299709) % 1000) / 1000.0 AS r3 FROM generate_series(1, $2::int) g)
       INSERT INTO settlement.school_applications
         (application_no, year, grade, town_code, parent_id, child_name, child_id_number, scheme_id, status, preferences, indicators, breakdown, total, tie1, tie2, priority_claim, submitted_at)
       SELECT 'SA${YEAR}-F' || lpad(a.g::text, 7, '0'), ${YEAR}, $4, $1, gen_random_uuid(), 'child', 'C' || a.g, $3, 'VERIFIED',
              ARRAY(SELECT s.ids[1 + (floor(a.r3 * 1000)::int + k * 7) % cardinality(s.ids)] FROM generate_series(0, a.n_prefs - 1) k),
              jsonb_build_array(
                jsonb_build_object('code', 'EDUCATION', 'claimed', 'COLLEGE', 'verified', 'COLLEGE', 'status', 'VERIFIED'),
                jsonb_build_object('code', 'SOCIAL_INSURANCE_TYPE_YEARS', 'claimed', floor(a.r2 * 40)::text, 'verified', floor(a.r2 * 40)::text, 'status', 'VERIFIED'),
                jsonb_build_object('code', 'RESIDENCE_YEARS', 'claimed', floor(a.r3 * 20)::text, 'verified', floor(a.r3 * 20)::text, 'status', 'VERIFIED'),
                jsonb_build_object('code', 'RESIDENCE_PERMIT', 'claimed', 'true', 'verified', 'true', 'status', 'VERIFIED'),
                jsonb_build_object('code', 'SOCIAL_INSURANCE', 'claimed', 'true', 'verified', 'true', 'status', 'VERIFIED')),
              '{}'::jsonb,
              CASE WHEN a.r1 < 0.005 THEN -100 ELSE round((a.r1 * 300)::numeric * 2) / 2 END,
              (floor(a.r2 * 40) * 1.5)::numeric, floor(a.r3 * 20)::numeric, false,
              now() - (a.g || ' seconds')::interval
         FROM apps a, schools s`,
      [TOWN, APPLICATIONS, scheme, SchoolGrade.PRIMARY_1],
    );
    await ds().query(`ANALYZE settlement.school_applications`);
  });
  afterAll(async () => {
    await worker?.kill();
    await city?.close();
  });

  it('places every application exactly once after the worker is killed mid-run', async () => {
    worker = startWorkerProcess('settlement', city);
    const rt = city.instances.settlement.runtime as SettlementRuntime;
    const requested = await requestAdmissionRun(rt, { sub: 'admissions-faults', roles: ['CITY_ADMIN'] }, YEAR, TOWN, SchoolGrade.PRIMARY_1, 'faults-seed');
    const run = async () => (await ds().query(`SELECT status, progress, attempts, counters, result FROM settlement.job_runs WHERE id = $1`, [requested.id]))[0];
    const [{ run_no: runNo }] = await ds().query(`SELECT run_no FROM settlement.admission_runs WHERE id = $1`, [requested.id]);

    // killed once the pool is ranked and placement is under way, inside the run's one transaction
    await killWhenUnderway(worker, run, APPLICATIONS, { underway: (r) => Number(r.progress) >= 0.5 });
    const [{ n: resultsAtKill }] = await ds().query(`SELECT count(*)::int AS n FROM settlement.admission_results WHERE run_no = $1`, [runNo]);
    expect(resultsAtKill).toBe(0);

    worker = startWorkerProcess('settlement', city);
    const done = await completedRun(worker, run);
    expect(done.attempts).toBe(2);

    // one result per application, no school over its seats, the outcome's counts the results' own
    const [results] = await ds().query(
      `SELECT count(*)::int AS n, count(DISTINCT application_no)::int AS d, count(*) FILTER (WHERE outcome = 'ADMITTED')::int AS placed,
              count(*) FILTER (WHERE outcome = 'WAITLISTED')::int AS waitlisted, count(*) FILTER (WHERE rank IS NOT NULL)::int AS ranked
         FROM settlement.admission_results WHERE run_no = $1`,
      [runNo],
    );
    expect({ n: results.n, d: results.d }).toEqual({ n: APPLICATIONS, d: APPLICATIONS });
    expect(done.result).toMatchObject({ ranked: results.ranked, placed: results.placed, waitlisted: results.waitlisted });
    const over: unknown[] = await ds().query(
      `SELECT r.school_id FROM settlement.admission_results r JOIN settlement.school_seats ss ON ss.school_id = r.school_id AND ss.year = $2 AND ss.grade = $3
        WHERE r.run_no = $1 AND r.outcome = 'ADMITTED' GROUP BY r.school_id, ss.seats HAVING count(*) > ss.seats`,
      [runNo, YEAR, SchoolGrade.PRIMARY_1],
    );
    expect(over).toEqual([]);
    const [current] = await ds().query(`SELECT run_id FROM settlement.admission_current WHERE year = $1 AND town_code = $2 AND grade = $3`, [YEAR, TOWN, SchoolGrade.PRIMARY_1]);
    expect(current.run_id).toBe(requested.id);
  });
});
