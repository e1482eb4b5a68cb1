import { createQueue, type JobQueue } from '@citypoints/jobs';
import { makeIdNumber } from '@citypoints/kit';
import { registry } from '@citypoints/registry';
import { settlement } from '@citypoints/settlement';
import { codes, eventually, FixedClock, ok, seed, startCity, type TestCity } from '@citypoints/test-city';
import { FINALISE_QUEUE } from '../../subgraphs/settlement/src/admission/finalise.jobs';

/**
 * School admission as docs/domain/01-school-admission.md states it, through the gateway: who is eligible, and how a
 * ranked list becomes the final one (RANKED → PUBLICISED → ADMITTED / WAITLISTED).
 */
const TOWN = '441900003';
const VILLAGE = '441900003001';
const SEED = 'rules-2026';

const SUBMIT = `mutation($i: SubmitSchoolApplicationInput!) { submitSchoolApplication(input: $i) { applicationNo status } }`;
const VERIFY = `mutation($n: ID!, $v: [IndicatorVerdictInput!]!) { verifyIndicators(applicationNo: $n, verdicts: $v) { status unmetConditions points { total } } }`;
const APP = `query($n: ID!) { schoolApplication(applicationNo: $n) { applicationNo status rank poolSize ineligibleReason rejectedReason placement { id } points { total } } }`;
const RANKING = (grade: string) => `{ schoolRanking(year: 2026, townCode: "${TOWN}", grade: ${grade}, first: 50) { totalCount nodes { rank applicationNo status placement { id } } } }`;
const RUN = `query($id: ID!) { admissionRun(id: $id) { id status seed poolSize ranked ineligible publicisedOn publicityUntil finalisedAt } }`;

type Claim = { code: string; value: string };
const claim = (code: string, value: string | number): Claim => ({ code, value: String(value) });
const ELIGIBLE = [claim('RESIDENCE_PERMIT', 'true'), claim('SOCIAL_INSURANCE', 'true')];

let childNo = 0;
const childId = (birthYear: number) => makeIdNumber('441900', `${birthYear}-04-20`, 700 + childNo++);

describe('school admission rules through the gateway', () => {
  let city: TestCity;
  let clock: FixedClock;
  let officer: string;
  let finaliser: JobQueue<Record<string, never>>;
  let finaliseJobs = 0;
  const schools: Record<string, string> = {};
  const app: Record<string, string> = {};
  const parents: Record<string, string> = {};
  const runs: Record<string, string> = {};

  /** Adds one finalising job, as the hourly scheduler does, and waits until the worker has run it. */
  async function finalise() {
    finaliseJobs++;
    await finaliser.add('finalise-pools', {});
    await eventually(async () => (await finaliser.getCompletedCount()) >= finaliseJobs);
  }

  const status = async (no: string) => ok(await city.query(APP, { n: no }, officer)).schoolApplication;

  async function waitRun(id: string) {
    return eventually(async () => {
      const r = ok(await city.query(RUN, { id }, officer)).admissionRun;
      return r.status === 'COMPLETED' ? r : null;
    });
  }

  async function resident(hukou: 'MIGRANT' | 'LOCAL') {
    const r = await seed(city).resident({ hukou, divisionCode: VILLAGE });
    await eventually(async () => (await city.instances.settlement.dataSource.query(`SELECT 1 FROM settlement.residents WHERE id = $1`, [r.id])).length === 1);
    return r.id;
  }

  async function submit(key: string, grade: string, indicators: Claim[], verdicts: { code: string; status: string; verifiedValue?: string }[]) {
    parents[key] = await resident('MIGRANT');
    const birthYear = grade === 'PRIMARY_1' ? 2020 : 2014;
    const preferences = [schools[grade]];
    const a = ok(await city.query(SUBMIT, { i: { parentId: parents[key], childName: `学生${key}`, childIdNumber: childId(birthYear), year: 2026, grade, townCode: TOWN, preferences, indicators } }, officer));
    app[key] = a.submitSchoolApplication.applicationNo;
    if (verdicts.length) ok(await city.query(VERIFY, { n: app[key], v: verdicts }, officer));
  }

  beforeAll(async () => {
    clock = new FixedClock(new Date('2026-03-10T02:00:00Z')); // a Tuesday
    city = await startCity({ modules: [registry, settlement], workers: true, clock, label: 'settlement_rules' });
    officer = await city.token('EDUCATION_OFFICER', { sub: 'edu-rules', division: TOWN });
    finaliser = createQueue(FINALISE_QUEUE, city.queue, { prefix: city.queuePrefix });
    for (const grade of ['PRIMARY_1', 'JUNIOR_1']) {
      const d = ok(await city.query(`mutation($i: UpsertSchoolInput!) { upsertSchool(input: $i) { id } }`, { i: { name: `东城${grade}学校`, townCode: TOWN, seats: [{ year: 2026, grade, seats: 1 }] } }, officer));
      schools[grade] = d.upsertSchool.id;
    }
  });
  afterAll(async () => {
    await finaliser?.close();
    await city?.close();
  });

  it('refuses a LOCAL scoring parent at submission with INELIGIBLE, writing nothing', async () => {
    const local = await resident('LOCAL');
    const count = async () => (await city.instances.settlement.dataSource.query(`SELECT count(*)::int AS n FROM settlement.school_applications`))[0].n;
    const before = await count();
    const token = await city.token('RESIDENT', { sub: local });
    const res = await city.query(SUBMIT, { i: { parentId: local, childName: '本地孩子', childIdNumber: childId(2020), year: 2026, grade: 'PRIMARY_1', townCode: TOWN, preferences: [schools.PRIMARY_1], indicators: ELIGIBLE } }, token);
    expect(codes(res)).toEqual(['INELIGIBLE']);
    expect(codes(await city.query(SUBMIT, { i: { parentId: local, childName: '本地孩子', childIdNumber: childId(2020), year: 2026, grade: 'PRIMARY_1', townCode: TOWN, preferences: [schools.PRIMARY_1], indicators: [] } }, officer))).toEqual(['INELIGIBLE']);
    expect(await count()).toBe(before);
  });

  it('keeps an application without a verified residence permit and social insurance out of the ranking, as INELIGIBLE with the reason named', async () => {
    const all = (extra: Claim[]) => [...extra, ...ELIGIBLE];
    const verified = (cs: Claim[]) => cs.map((x) => ({ code: x.code, status: 'VERIFIED' }));
    // pool PRIMARY_1: two eligible applications, one whose permit was rejected, one that never claimed social insurance
    await submit('a1', 'PRIMARY_1', all([claim('EDUCATION', 'BACHELOR')]), verified(all([claim('EDUCATION', 'BACHELOR')])));
    await submit('a2', 'PRIMARY_1', all([claim('EDUCATION', 'COLLEGE')]), verified(all([claim('EDUCATION', 'COLLEGE')])));
    await submit('a3', 'PRIMARY_1', all([claim('EDUCATION', 'MASTER_OR_ABOVE')]), [
      { code: 'EDUCATION', status: 'VERIFIED' },
      { code: 'RESIDENCE_PERMIT', status: 'REJECTED' },
      { code: 'SOCIAL_INSURANCE', status: 'VERIFIED' },
    ]);
    await submit('a4', 'PRIMARY_1', [claim('EDUCATION', 'MASTER_OR_ABOVE'), claim('RESIDENCE_PERMIT', 'true')], verified([claim('EDUCATION', 'MASTER_OR_ABOVE'), claim('RESIDENCE_PERMIT', 'true')]));
    // pool JUNIOR_1: b2 claims 7 work years, verified as 1 — the line a re-check will change
    await submit('b1', 'JUNIOR_1', all([claim('EDUCATION', 'COLLEGE')]), verified(all([claim('EDUCATION', 'COLLEGE')])));
    await submit('b2', 'JUNIOR_1', all([claim('EDUCATION', 'HIGH_SCHOOL_OR_BELOW'), claim('WORK_YEARS', 7)]), [
      ...verified(all([claim('EDUCATION', 'HIGH_SCHOOL_OR_BELOW')])),
      { code: 'WORK_YEARS', status: 'VERIFIED', verifiedValue: '1' },
    ]);
    // every line decided, but the permit rejected: nothing stops it until ranking runs
    expect(ok(await city.query(APP.replace('ineligibleReason', 'ineligibleReason unmetConditions'), { n: app.a3 }, officer)).schoolApplication).toMatchObject({ status: 'VERIFIED', unmetConditions: ['RESIDENCE_PERMIT'] });

    for (const grade of ['PRIMARY_1', 'JUNIOR_1']) {
      const r = ok(await city.query(`mutation($g: SchoolGrade!, $s: String) { runSchoolAdmission(year: 2026, townCode: "${TOWN}", grade: $g, seed: $s) { id } }`, { g: grade, s: SEED }, officer)).runSchoolAdmission;
      runs[grade] = r.id;
      await waitRun(r.id);
    }
    expect(ok(await city.query(RUN, { id: runs.PRIMARY_1 }, officer)).admissionRun).toMatchObject({ poolSize: 2, ranked: 2, ineligible: 2 });
    expect(await status(app.a1)).toMatchObject({ status: 'RANKED', rank: 1, poolSize: 2, ineligibleReason: null });
    expect(await status(app.a2)).toMatchObject({ status: 'RANKED', rank: 2, poolSize: 2 });
    const a3 = await status(app.a3);
    expect(a3).toMatchObject({ status: 'INELIGIBLE', rank: null, placement: null, rejectedReason: null });
    expect(a3.ineligibleReason).toContain('RESIDENCE_PERMIT');
    expect(a3.ineligibleReason).not.toContain('SOCIAL_INSURANCE');
    const a4 = await status(app.a4);
    expect(a4).toMatchObject({ status: 'INELIGIBLE', rank: null });
    expect(a4.ineligibleReason).toContain('SOCIAL_INSURANCE');
    const ranking = ok(await city.query(RANKING('PRIMARY_1'), {}, officer)).schoolRanking;
    expect(ranking.totalCount).toBe(2);
    expect(ranking.nodes.map((n: { applicationNo: string }) => n.applicationNo)).toEqual([app.a1, app.a2]);
    // the higher totals of a3 and a4 took no seat
    expect(ranking.nodes[0].placement).toEqual({ id: schools.PRIMARY_1 });
    expect(await status(app.b1)).toMatchObject({ status: 'RANKED', rank: 1 });
    expect(await status(app.b2)).toMatchObject({ status: 'RANKED', rank: 2, points: { total: 31 } });
  });

  it('shows PUBLICISED while the list is public, for 5 working days', async () => {
    for (const grade of ['PRIMARY_1', 'JUNIOR_1']) {
      const p = ok(await city.query(`mutation($id: ID!) { publiciseAdmissionRun(id: $id) { publicisedOn publicityUntil } }`, { id: runs[grade] }, officer)).publiciseAdmissionRun;
      expect(p).toEqual({ publicisedOn: '2026-03-10', publicityUntil: '2026-03-17' });
    }
    expect((await status(app.a1)).status).toBe('PUBLICISED');
    expect((await status(app.a3)).status).toBe('INELIGIBLE');
    expect(ok(await city.query(RANKING('PRIMARY_1'), {}, officer)).schoolRanking.nodes.map((n: { status: string }) => n.status)).toEqual(['PUBLICISED', 'PUBLICISED']);
    clock.set('2026-03-12T02:00:00Z');
    const parent = await city.token('RESIDENT', { sub: parents.b2 });
    ok(await city.query(`mutation($n: ID!) { requestRecheck(applicationNo: $n, code: "WORK_YEARS", reason: "the employment contracts cover 20 years") { applicationNo } }`, { n: app.b2 }, parent));
    // still inside the window: the finalising job leaves both pools alone
    await finalise();
    expect((await status(app.a1)).status).toBe('PUBLICISED');
  });

  it('after the window closes with every re-check answered, the pool’s applications are ADMITTED or WAITLISTED; an open re-check holds its pool', async () => {
    clock.set('2026-03-18T02:00:00Z');
    await finalise();
    expect(await status(app.a1)).toMatchObject({ status: 'ADMITTED', rank: 1, placement: { id: schools.PRIMARY_1 } });
    expect(await status(app.a2)).toMatchObject({ status: 'WAITLISTED', rank: 2, placement: null });
    expect((await status(app.a3)).status).toBe('INELIGIBLE');
    expect(ok(await city.query(RANKING('PRIMARY_1'), {}, officer)).schoolRanking.nodes.map((n: { status: string }) => n.status)).toEqual(['ADMITTED', 'WAITLISTED']);
    const finalA = ok(await city.query(RUN, { id: runs.PRIMARY_1 }, officer)).admissionRun;
    expect(finalA.finalisedAt).not.toBeNull();

    // JUNIOR_1 has b2's re-check open: held, nobody admitted yet
    expect((await status(app.b1)).status).toBe('PUBLICISED');
    expect((await status(app.b2)).status).toBe('PUBLICISED');
    expect(ok(await city.query(RUN, { id: runs.JUNIOR_1 }, officer)).admissionRun.finalisedAt).toBeNull();

    // running the job again changes nothing that is final
    await finalise();
    expect(ok(await city.query(RUN, { id: runs.PRIMARY_1 }, officer)).admissionRun.finalisedAt).toBe(finalA.finalisedAt);
  });

  it('an answer that changes a line re-runs the pool with the same seed before the list is final', async () => {
    clock.set('2026-03-19T02:00:00Z');
    const answered = ok(
      await city.query(`mutation($n: ID!) { answerRecheck(applicationNo: $n, verdict: { code: "WORK_YEARS", status: VERIFIED, verifiedValue: "20" }) { points { total } } }`, { n: app.b2 }, officer),
    ).answerRecheck;
    expect(answered.points.total).toBe(30 + 2 + 6 + 45);
    await finalise();
    const latest = async () => (await city.instances.settlement.dataSource.query(`SELECT id FROM settlement.admission_runs WHERE grade = 'JUNIOR_1' ORDER BY run_no DESC LIMIT 1`))[0].id;
    const rerunId = await latest();
    expect(rerunId).not.toBe(runs.JUNIOR_1);
    const rerun = await waitRun(rerunId);
    expect(rerun).toMatchObject({ seed: SEED, publicisedOn: '2026-03-10', publicityUntil: '2026-03-17', finalisedAt: null });
    // corrected, not final yet
    expect(await status(app.b2)).toMatchObject({ status: 'PUBLICISED', rank: 1 });
    await finalise();
    expect(await latest()).toBe(rerunId);
    expect(await status(app.b2)).toMatchObject({ status: 'ADMITTED', rank: 1, placement: { id: schools.JUNIOR_1 } });
    expect(await status(app.b1)).toMatchObject({ status: 'WAITLISTED', rank: 2 });
    const own = ok(await city.query(`{ mySchoolApplications { applicationNo status rank } }`, {}, await city.token('RESIDENT', { sub: parents.b2 }))).mySchoolApplications;
    expect(own).toEqual([{ applicationNo: app.b2, status: 'ADMITTED', rank: 1 }]);
  });
});
