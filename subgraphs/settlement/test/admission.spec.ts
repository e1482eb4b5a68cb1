import { CALLER_HEADER, signForwardedCaller } from '@citypoints/auth';
import { codes, ok, TEST_SUBGRAPH_SECRET, type TestCity, type FixedClock } from '@citypoints/test-city';
import { performAdmissionRun } from '../src/admission/admission.service';
import type { SettlementRuntime } from '../src/runtime';
import { childIdNumber, lottery, residents, startSettlementCity, SUBMIT, TOWN, upsertSchool, waitForRun } from './helpers';

type Claim = { code: string; value: string };
const c = (code: string, value: string | number): Claim => ({ code, value: String(value) });

/**
 * Indicator sets chosen so that every tie-break rule decides something: equal totals split by
 * social-insurance points, then residence points, and three identical applications left to the lottery.
 */
/** The residence permit and social insurance every application must have verified to be ranked (0 points). */
const ELIGIBLE: Claim[] = [c('RESIDENCE_PERMIT', 'true'), c('SOCIAL_INSURANCE', 'true')];

const PROFILES: Claim[][] = [
  [c('EDUCATION', 'COLLEGE'), c('SOCIAL_INSURANCE_TYPE_YEARS', 4)], // 66, SI 6
  [c('EDUCATION', 'COLLEGE'), c('WORK_YEARS', 4)], // 66, SI 0
  [c('EDUCATION', 'COLLEGE'), c('SOCIAL_INSURANCE_TYPE_YEARS', 2), c('RESIDENCE_YEARS', 3)], // 67, SI 3, RES 4
  [c('EDUCATION', 'COLLEGE'), c('SOCIAL_INSURANCE_TYPE_YEARS', 2), c('WORK_YEARS', 3)], // 67, SI 3, RES 0
  [c('EDUCATION', 'BACHELOR'), c('RESIDENCE_YEARS', 2)], // 82 ×3: lottery
  [c('EDUCATION', 'BACHELOR'), c('RESIDENCE_YEARS', 2)],
  [c('EDUCATION', 'BACHELOR'), c('RESIDENCE_YEARS', 2)],
  [c('EDUCATION', 'MASTER_OR_ABOVE'), c('SOCIAL_INSURANCE_TYPE_YEARS', 20), c('HOME_OWNERSHIP', 'OVER_5_YEARS')],
  [c('EDUCATION', 'HIGH_SCHOOL_OR_BELOW'), c('WORK_YEARS', 7)],
  [c('EDUCATION', 'BACHELOR'), c('SALARY_TAX_3Y', 6000), c('DEED_TAX', 80000), c('SOLE_TRADER_TAX_3Y', 40000), c('COMPANY_TAX_SHARE_3Y', 100000)],
  [c('EDUCATION', 'COLLEGE'), c('PATENT', 'true')],
  [c('EDUCATION', 'HIGH_SCHOOL_OR_BELOW')],
  [c('EDUCATION', 'COLLEGE'), c('LOCAL_KINDERGARTEN_YEARS', 3)],
  [c('EDUCATION', 'BACHELOR'), c('FAMILY_PLANNING_COMPLIANT', 'true')],
  [c('EDUCATION', 'COLLEGE'), c('BLOOD_DONATIONS_5Y', 4), c('RESIDENCE_YEARS', 6)],
  [c('EDUCATION', 'COLLEGE'), c('CRIMINAL_RECORDS_5Y', 1)], // −40: rejected, outside the pool
].map((p) => [...p, ...ELIGIBLE]);

interface AppView {
  applicationNo: string;
  total: number;
  si: number;
  res: number;
  priority: boolean;
  prefs: string[];
  parentId: string;
}

/** The rules of docs/domain/01-school-admission.md written out independently of the service, to check its answer. */
function expectedRanking(apps: AppView[], seedText: string): AppView[] {
  const pool = apps.filter((a) => a.total >= 0);
  const prio = pool.filter((a) => a.priority);
  const rest = pool.filter((a) => !a.priority);
  rest.sort((a, b) => b.total - a.total || b.si - a.si || b.res - a.res || (lottery(seedText, a.applicationNo) < lottery(seedText, b.applicationNo) ? -1 : 1));
  return [...prio, ...rest];
}

function expectedPlacement(ranked: AppView[], seats: Record<string, number>): Map<string, string | null> {
  const left = { ...seats };
  const out = new Map<string, string | null>();
  for (const a of ranked) {
    const school = a.prefs.find((p) => left[p] > 0) ?? null;
    if (school) left[school]--;
    out.set(a.applicationNo, school);
  }
  return out;
}

describe('school admission through the gateway', () => {
  let city: TestCity;
  let clock: FixedClock;
  let admin: string;
  let officer: string;
  let schools: string[];
  let seats: Record<string, number>;
  let parents: Awaited<ReturnType<typeof residents>>;
  const apps: AppView[] = [];
  let holderApp: string;

  beforeAll(async () => {
    ({ city, clock } = await startSettlementCity());
    admin = await city.token('CITY_ADMIN', { sub: 'admin' });
    officer = await city.token('EDUCATION_OFFICER', { sub: 'edu-1', division: TOWN });
    schools = [await upsertSchool(city, officer, '东城第一小学', 3), await upsertSchool(city, officer, '东城实验学校', 2), await upsertSchool(city, officer, '东城中心小学', 2)];
    seats = { [schools[0]]: 3, [schools[1]]: 2, [schools[2]]: 2 };
    parents = await residents(city, PROFILES.length + 5);
  });
  afterAll(() => city.close());

  const prefsFor = (i: number) => [[0, 1, 2], [1, 0], [2], [0], [1, 2, 0]][i % 5].map((k) => schools[k]);

  it('takes applications from parents and officials, scored as claimed but counting verified values only', async () => {
    for (let i = 0; i < PROFILES.length; i++) {
      clock.advance(60_000);
      const token = i % 2 ? await city.token('RESIDENT', { sub: parents[i].id }) : officer;
      const d = ok(
        await city.query(
          SUBMIT,
          { i: { parentId: parents[i].id, childName: `孩子${i}号`, childIdNumber: childIdNumber(2020), year: 2026, grade: 'PRIMARY_1', townCode: TOWN, preferences: prefsFor(i), indicators: PROFILES[i] } },
          token,
        ),
      );
      expect(d.submitSchoolApplication).toMatchObject({ status: 'SUBMITTED', points: { total: 0 } });
      apps.push({ applicationNo: d.submitSchoolApplication.applicationNo, total: 0, si: 0, res: 0, priority: false, prefs: prefsFor(i), parentId: parents[i].id });
    }
    for (const [i, a] of apps.entries()) {
      const verdicts = PROFILES[i].map((p) => ({ code: p.code, status: 'VERIFIED' }));
      const v = ok(await city.query(`mutation($n: ID!, $v: [IndicatorVerdictInput!]!) { verifyIndicators(applicationNo: $n, verdicts: $v) { status points { total lines { code points capped } } } }`, { n: a.applicationNo, v: verdicts }, officer)).verifyIndicators;
      expect(v.status).toBe('VERIFIED');
      const line = (code: string) => v.points.lines.find((l: { code: string }) => l.code === code).points;
      Object.assign(a, { total: v.points.total, si: line('SOCIAL_INSURANCE_TYPE_YEARS'), res: line('RESIDENCE_YEARS') });
    }
    expect(apps.slice(0, 4).map((a) => [a.total, a.si, a.res])).toEqual([[66, 6, 0], [66, 0, 0], [67, 3, 4], [67, 3, 0]]);
    expect(apps[9].total).toBe(180);
    expect(apps[15].total).toBe(-40);
  });

  it('shows claimed and corrected lines in the breakdown', async () => {
    const parent = parents[PROFILES.length];
    const d = ok(
      await city.query(
        SUBMIT,
        { i: { parentId: parent.id, childName: '王小明', childIdNumber: childIdNumber(2020), year: 2026, grade: 'PRIMARY_1', townCode: TOWN, preferences: [schools[0]], indicators: [c('EDUCATION', 'MASTER_OR_ABOVE'), c('WORK_YEARS', 7), ...ELIGIBLE] } },
        officer,
      ),
    ).submitSchoolApplication;
    const v = ok(
      await city.query(
        `mutation($n: ID!, $v: [IndicatorVerdictInput!]!) { verifyIndicators(applicationNo: $n, verdicts: $v) { status points { total schemeCode schemeVersion lines { code claimed verified status points } } } }`,
        { n: d.applicationNo, v: [{ code: 'EDUCATION', status: 'VERIFIED', verifiedValue: 'BACHELOR' }, ...ELIGIBLE.map((e) => ({ code: e.code, status: 'VERIFIED' }))] },
        officer,
      ),
    ).verifyIndicators;
    expect(v.status).toBe('SUBMITTED');
    // version 2 of DG-SCHOOL (eligibility conditions) is in force from the 2026 school year
    expect(v.points).toMatchObject({ total: 80, schemeCode: 'DG-SCHOOL', schemeVersion: 2 });
    expect(v.points.lines.find((l: { code: string }) => l.code === 'EDUCATION')).toEqual({ code: 'EDUCATION', claimed: 'MASTER_OR_ABOVE', verified: 'BACHELOR', status: 'VERIFIED', points: 80 });
    expect(v.points.lines.find((l: { code: string }) => l.code === 'WORK_YEARS')).toEqual({ code: 'WORK_YEARS', claimed: '7', verified: null, status: 'CLAIMED', points: 0 });
    apps.push({ applicationNo: d.applicationNo, total: 80, si: 0, res: 0, priority: false, prefs: [schools[0]], parentId: parent.id });
  });

  it('places a talent-card holder’s child before higher totals', async () => {
    ok(await city.query(`mutation { setTalentCardQuota(year: 2026, total: 10) }`, {}, admin));
    const holder = apps.find((a) => a.total === 30)!;
    ok(await city.query(`mutation($r: ID!) { issueTalentCard(residentId: $r, category: INVESTMENT_TAX, year: 2026) { cardNo } }`, { r: holder.parentId }, admin));
    holder.priority = true;
    holderApp = holder.applicationNo;
  });

  it('refuses applications outside the window, for unknown parents, from other towns and twice for one child', async () => {
    const base = { childName: '李小红', year: 2026, grade: 'PRIMARY_1', townCode: TOWN, preferences: [schools[0]], indicators: [] };
    const p = parents[PROFILES.length + 1];
    clock.set('2026-06-02T02:00:00Z');
    expect(codes(await city.query(SUBMIT, { i: { ...base, parentId: p.id, childIdNumber: childIdNumber(2020) } }, officer))).toEqual(['INVALID_STATE']);
    clock.set('2026-03-11T02:00:00Z');
    expect(codes(await city.query(SUBMIT, { i: { ...base, parentId: '00000000-0000-4000-8000-000000000000', childIdNumber: childIdNumber(2020) } }, officer))).toEqual(['NOT_FOUND']);
    const resident = await city.token('RESIDENT', { sub: p.id });
    expect(codes(await city.query(SUBMIT, { i: { ...base, parentId: p.id, townCode: '441900121', childIdNumber: childIdNumber(2020) } }, resident))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await city.query(SUBMIT, { i: { ...base, parentId: parents[0].id, childIdNumber: childIdNumber(2020) } }, resident))).toEqual(['FORBIDDEN']);
    const child = childIdNumber(2020);
    const key = 'retry-key-0001';
    const first = ok(await city.query(SUBMIT, { i: { ...base, parentId: p.id, childIdNumber: child, idempotencyKey: key } }, resident)).submitSchoolApplication;
    const again = ok(await city.query(SUBMIT, { i: { ...base, parentId: p.id, childIdNumber: child, idempotencyKey: key } }, resident)).submitSchoolApplication;
    expect(again.applicationNo).toBe(first.applicationNo);
    expect(codes(await city.query(SUBMIT, { i: { ...base, parentId: p.id, childIdNumber: child } }, resident))).toEqual(['CONFLICT']);
    ok(await city.query(`mutation($n: ID!) { withdrawSchoolApplication(applicationNo: $n) { status } }`, { n: first.applicationNo }, resident));
  });

  it('validates at the edge and changes nothing on bad input', async () => {
    const p = parents[PROFILES.length + 3];
    const base = { parentId: p.id, childName: '周小宇', childIdNumber: childIdNumber(2020), year: 2026, grade: 'PRIMARY_1', townCode: TOWN, preferences: [schools[0]], indicators: [] as Claim[] };
    const count = async () => (await city.instances.settlement.dataSource.query(`SELECT count(*)::int AS n FROM settlement.school_applications`))[0].n;
    const before = await count();
    const refused = async (i: Record<string, unknown>) => codes(await city.query(SUBMIT, { i: { ...base, ...i } }, officer));
    expect(await refused({ indicators: [c('EDUCATION', 'PHD_FROM_MARS')] })).toEqual(['BAD_USER_INPUT']);
    expect(await refused({ indicators: [c('WORK_YEARS', '-3')] })).toEqual(['BAD_USER_INPUT']);
    expect(await refused({ indicators: [c('LUCK', '1')] })).toEqual(['BAD_USER_INPUT']);
    expect(await refused({ indicators: [c('PATENT', 'true'), c('PATENT', 'true')] })).toEqual(['BAD_USER_INPUT']);
    expect(await refused({ childIdNumber: childIdNumber(2020).slice(0, 17) + 'Y' })).toEqual(['BAD_USER_INPUT']);
    expect(await refused({ childIdNumber: childIdNumber(2004) })).toEqual(['BAD_USER_INPUT']);
    expect(await refused({ preferences: [schools[0], schools[1], schools[2], schools[0]] })).toEqual(['BAD_USER_INPUT']);
    const elsewhere = await upsertSchool(city, admin, '虎门第一小学', 5, 2026, 'PRIMARY_1', '441900121');
    expect(await refused({ preferences: [elsewhere] })).toEqual(['BAD_USER_INPUT']);
    expect(codes(await city.query(SUBMIT, { i: base }))).toEqual(['UNAUTHENTICATED']);
    expect(await count()).toBe(before);
    const other = await city.token('EDUCATION_OFFICER', { division: '441900121' });
    expect(codes(await city.query(`mutation($i: UpsertSchoolInput!) { upsertSchool(input: $i) { id } }`, { i: { name: 'x', townCode: TOWN, seats: [] } }, other))).toEqual(['FORBIDDEN']);
    const updated = ok(
      await city.query(`mutation($i: UpsertSchoolInput!) { upsertSchool(input: $i) { id name seats(year: 2026, grade: PRIMARY_1) division { code } } }`, { i: { id: elsewhere, name: '虎门实验小学', townCode: '441900121', seats: [{ year: 2026, grade: 'PRIMARY_1', seats: 9 }] } }, admin),
    ).upsertSchool;
    expect(updated).toEqual({ id: elsewhere, name: '虎门实验小学', seats: 9, division: { code: '441900121' } });
  });

  it('bars a parent disqualified for false documents from applying for 3 years', async () => {
    const p = parents[PROFILES.length + 2];
    const base = { parentId: p.id, childName: '赵小华', year: 2026, grade: 'PRIMARY_1', townCode: TOWN, preferences: [schools[1]], indicators: [c('EDUCATION', 'BACHELOR')] };
    const a = ok(await city.query(SUBMIT, { i: { ...base, childIdNumber: childIdNumber(2020) } }, officer)).submitSchoolApplication;
    const d = ok(await city.query(`mutation($n: ID!) { disqualifySchoolApplication(applicationNo: $n, reason: "forged residence permit") { status } }`, { n: a.applicationNo }, officer));
    expect(d.disqualifySchoolApplication.status).toBe('DISQUALIFIED');
    expect(codes(await city.query(SUBMIT, { i: { ...base, childIdNumber: childIdNumber(2020) } }, officer))).toEqual(['APPLICANT_BARRED']);
    expect(codes(await city.query(`mutation($n: ID!) { withdrawSchoolApplication(applicationNo: $n) { status } }`, { n: a.applicationNo }, officer))).toEqual(['INVALID_STATE']);
  });

  const RANKING = `query { schoolRanking(year: 2026, townCode: "${TOWN}", grade: PRIMARY_1, first: 100) { totalCount nodes { rank applicationNo parentNameMasked total status priority placement { id } } pageInfo { hasNextPage } } }`;

  async function run(seedText: string) {
    const r = ok(await city.query(`mutation($s: String) { runSchoolAdmission(year: 2026, townCode: "${TOWN}", grade: PRIMARY_1, seed: $s) { id status seed } }`, { s: seedText }, officer)).runSchoolAdmission;
    expect(r.seed).toBe(seedText);
    return waitForRun(city, officer, r.id);
  }

  let firstRanking: { rank: number; applicationNo: string; placement: { id: string } | null; status: string; parentNameMasked: string; priority: boolean }[];

  it('ranks priority first, then total, social insurance, residence and the seeded lottery, and places in rank order', async () => {
    const done = await run('dg-2026');
    const live = apps;
    const expected = expectedRanking(live, 'dg-2026');
    expect(done).toMatchObject({ ranked: expected.length, placed: 7, waitlisted: expected.length - 7, poolSize: expected.length, progress: 1 });
    const r = ok(await city.query(RANKING, {}, await city.token('RESIDENT', { sub: parents[3].id }))).schoolRanking;
    expect(r.totalCount).toBe(expected.length);
    firstRanking = r.nodes;
    expect(r.nodes.map((n: { applicationNo: string }) => n.applicationNo)).toEqual(expected.map((a) => a.applicationNo));
    expect(r.nodes[0]).toMatchObject({ applicationNo: holderApp, priority: true, rank: 1 });
    expect(r.nodes.every((n: { parentNameMasked: string }) => n.parentNameMasked.includes('*'))).toBe(true);
    const lotteryTies = r.nodes.filter((n: { total: number }) => n.total === 82).map((n: { applicationNo: string }) => n.applicationNo);
    expect(lotteryTies).toEqual([...lotteryTies].sort((a, b) => (lottery('dg-2026', a) < lottery('dg-2026', b) ? -1 : 1)));
    const placement = expectedPlacement(expected, seats);
    // a run computes the list: RANKED until its publicity and the final list (settlement-admission-rules e2e)
    for (const n of r.nodes) expect([n.applicationNo, n.placement?.id ?? null, n.status]).toEqual([n.applicationNo, placement.get(n.applicationNo), 'RANKED']);
    const published = ok(await city.query(`query($id: ID!) { admissionRun(id: $id) { cutoffs { school { id } cutoff } } }`, { id: done.id }, officer)).admissionRun.cutoffs;
    const cutoffs = new Map<string, number>();
    for (const a of expected) {
      const school = placement.get(a.applicationNo);
      if (school && !a.priority) cutoffs.set(school, Math.min(cutoffs.get(school) ?? Infinity, a.total));
    }
    expect(Object.fromEntries(published.map((p: { school: { id: string }; cutoff: number }) => [p.school.id, p.cutoff]))).toEqual(Object.fromEntries(cutoffs));
    const rejected = ok(await city.query(`query($n: ID!) { schoolApplication(applicationNo: $n) { status rank rejectedReason } }`, { n: apps[15].applicationNo }, officer)).schoolApplication;
    expect(rejected).toEqual({ status: 'REJECTED', rank: null, rejectedReason: 'NEGATIVE_POINTS' });
  });

  it('verifies the run from its canonical inputs: the independent recomputation agrees with the SQL ranking, lottery ties and priority included', async () => {
    const runs = await city.instances.settlement.dataSource.query(`SELECT id FROM settlement.admission_runs WHERE completed_at IS NOT NULL ORDER BY run_no DESC LIMIT 1`);
    const v = ok(await city.query(`query($id: ID!) { verifyAdmissionRun(id: $id) { identical outputDigest recomputedOutputDigest differences } }`, { id: runs[0].id }, officer)).verifyAdmissionRun;
    expect(v).toMatchObject({ identical: true, differences: [] });
    expect(v.recomputedOutputDigest).toBe(v.outputDigest);
  });

  it('gives identical ranks for the same inputs and seed, and a retried job rewrites the same results', async () => {
    const again = await run('dg-2026');
    const ds = city.instances.settlement.dataSource;
    const results = () => ds.query(`SELECT application_no, rank, school_id, outcome, total::float8 AS total, priority FROM settlement.admission_results WHERE run_no = (SELECT run_no FROM settlement.admission_runs WHERE id = $1) ORDER BY application_no`, [again.id]);
    const before = await results();
    await ds.query(`UPDATE settlement.job_runs SET status = 'RUNNING' WHERE id = $1`, [again.id]);
    expect(await performAdmissionRun(city.instances.settlement.runtime as SettlementRuntime, again.id)).toMatchObject({ ranked: before.filter((r: { rank: number | null }) => r.rank !== null).length });
    expect(await results()).toEqual(before);
    expect(await performAdmissionRun(city.instances.settlement.runtime as SettlementRuntime, again.id)).toBeNull();
    const r = ok(await city.query(RANKING, {}, officer)).schoolRanking;
    expect(r.nodes).toEqual(firstRanking);
    const runs = await city.instances.settlement.dataSource.query(`SELECT DISTINCT inputs_digest FROM settlement.admission_runs WHERE completed_at IS NOT NULL`);
    expect(runs).toHaveLength(1);
    expect(again.inputsDigest).toBe(runs[0].inputs_digest);
  });

  it('shows a migrant worker their own rank, pool, placement and cut-off, and refuses another family’s application', async () => {
    const admitted = firstRanking.find((n) => n.placement && !n.priority)!;
    const mine = apps.find((a) => a.applicationNo === admitted.applicationNo)!;
    const token = await city.token('RESIDENT', { sub: mine.parentId });
    const d = ok(await city.query(`{ mySchoolApplications { applicationNo childName rank poolSize status placement { id name } cutoff points { total } parent { id } town { code } } }`, {}, token));
    const own = d.mySchoolApplications.find((a: { applicationNo: string }) => a.applicationNo === mine.applicationNo);
    const cutoff = Math.min(...firstRanking.filter((n) => n.placement?.id === admitted.placement!.id && !n.priority).map((n) => apps.find((a) => a.applicationNo === n.applicationNo)!.total));
    expect(own).toMatchObject({ rank: admitted.rank, poolSize: firstRanking.length, status: 'RANKED', placement: { id: admitted.placement!.id }, cutoff, parent: { id: mine.parentId }, town: { code: TOWN } });
    expect(own.childName).not.toContain('*');
    const other = apps.find((a) => a.parentId !== mine.parentId)!;
    expect(codes(await city.query(`query($n: ID!) { schoolApplication(applicationNo: $n) { applicationNo } }`, { n: other.applicationNo }, token))).toEqual(['FORBIDDEN']);
    const officerView = ok(await city.query(`query($n: ID!) { schoolApplication(applicationNo: $n) { childName preferences { id } } }`, { n: mine.applicationNo }, officer)).schoolApplication;
    expect(officerView.childName).not.toContain('*');
  });

  it('gives a withdrawn applicant’s seat to the next applicant on re-run', async () => {
    const withdrawn = firstRanking.find((n) => n.placement && !n.priority)!;
    const parent = apps.find((a) => a.applicationNo === withdrawn.applicationNo)!.parentId;
    const w = ok(await city.query(`mutation($n: ID!) { withdrawSchoolApplication(applicationNo: $n) { status } }`, { n: withdrawn.applicationNo }, await city.token('RESIDENT', { sub: parent })));
    expect(w.withdrawSchoolApplication.status).toBe('WITHDRAWN');
    await run('dg-2026');
    const remaining = apps.filter((a) => a.applicationNo !== withdrawn.applicationNo);
    const expected = expectedRanking(remaining, 'dg-2026');
    const placement = expectedPlacement(expected, seats);
    const r = ok(await city.query(RANKING, {}, officer)).schoolRanking;
    expect(r.totalCount).toBe(firstRanking.length - 1);
    expect(r.nodes.map((n: { applicationNo: string; placement: { id: string } | null }) => [n.applicationNo, n.placement?.id ?? null])).toEqual(expected.map((a) => [a.applicationNo, placement.get(a.applicationNo)]));
    const newlyAdmitted = r.nodes.filter((n: { applicationNo: string; placement: unknown }) => n.placement && !firstRanking.find((f) => f.applicationNo === n.applicationNo)!.placement);
    expect(newlyAdmitted).toHaveLength(1);
    expect(newlyAdmitted[0].placement.id).toBe(withdrawn.placement!.id);
  });

  it('publicises the ranked list for 5 working days, taking re-checks that a reviewer answers', async () => {
    clock.set('2026-03-11T02:00:00Z');
    const runs = await city.instances.settlement.dataSource.query(`SELECT r.id, (c.run_id IS NOT NULL) AS current FROM settlement.admission_runs r LEFT JOIN settlement.admission_current c ON c.run_id = r.id ORDER BY r.completed_at`);
    const current = runs.find((r: { current: boolean }) => r.current).id;
    const PUBLICISE = `mutation($id: ID!) { publiciseAdmissionRun(id: $id) { publicisedOn publicityUntil } }`;
    expect(codes(await city.query(PUBLICISE, { id: runs[0].id }, officer))).toEqual(['INVALID_STATE']);
    expect(ok(await city.query(PUBLICISE, { id: current }, officer)).publiciseAdmissionRun).toEqual({ publicisedOn: '2026-03-11', publicityUntil: '2026-03-18' });
    const mine = apps[2];
    const parent = await city.token('RESIDENT', { sub: mine.parentId });
    const REQUEST = `mutation($n: ID!, $c: String!) { requestRecheck(applicationNo: $n, code: $c, reason: "the residence permit shows 6 years") { rechecks { code answeredAt } } }`;
    expect(ok(await city.query(REQUEST, { n: mine.applicationNo, c: 'RESIDENCE_YEARS' }, parent)).requestRecheck.rechecks).toEqual([{ code: 'RESIDENCE_YEARS', answeredAt: null }]);
    expect(codes(await city.query(REQUEST, { n: mine.applicationNo, c: 'RESIDENCE_YEARS' }, parent))).toEqual(['CONFLICT']);
    expect(codes(await city.query(REQUEST, { n: mine.applicationNo, c: 'PATENT' }, parent))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await city.query(REQUEST, { n: apps[3].applicationNo, c: 'EDUCATION' }, parent))).toEqual(['FORBIDDEN']);
    const ANSWER = `mutation($n: ID!) { answerRecheck(applicationNo: $n, verdict: { code: "RESIDENCE_YEARS", status: VERIFIED, verifiedValue: "6" }) { points { total } rechecks { answerStatus answerValue } } }`;
    expect(ok(await city.query(ANSWER, { n: mine.applicationNo }, officer)).answerRecheck).toEqual({ points: { total: 60 + 3 + 11 }, rechecks: [{ answerStatus: 'VERIFIED', answerValue: '6' }] });
    expect(codes(await city.query(ANSWER, { n: mine.applicationNo }, officer))).toEqual(['INVALID_STATE']);
    clock.set('2026-03-19T02:00:00Z');
    expect(codes(await city.query(REQUEST, { n: mine.applicationNo, c: 'EDUCATION' }, parent))).toEqual(['INVALID_STATE']);
  });

  it('lists the resident’s applications and talent card under Resident.settlement, one query per kind for a batch of residents', async () => {
    const holder = apps.find((a) => a.applicationNo === holderApp)!;
    const token = await city.token('RESIDENT', { sub: holder.parentId });
    const d = ok(await city.query(`query($id: ID!) { resident(id: $id) { id settlement { schoolApplications { applicationNo priority } talentCard { category year benefits holder { id } } householdApplications { applicationNo } } } }`, { id: holder.parentId }, token));
    expect(d.resident.settlement.schoolApplications).toEqual([{ applicationNo: holderApp, priority: true }]);
    expect(d.resident.settlement.talentCard).toMatchObject({ category: 'INVESTMENT_TAX', year: 2026, holder: { id: holder.parentId } });
    expect(d.resident.settlement.talentCard.benefits).toEqual(expect.arrayContaining(['MEDICAL', 'HOUSING', 'BUSINESS_START_UP', 'PUBLIC_TRANSPORT']));
    const other = await city.query(`query($id: ID!) { resident(id: $id) { settlement { schoolApplications { applicationNo } } } }`, { id: apps[0].parentId }, token);
    expect(codes(other)).toEqual(['FORBIDDEN']);
    const many = ok(
      await city.query(`query($a: ID!, $b: ID!) { a: resident(id: $a) { settlement { schoolApplications { applicationNo } } } b: resident(id: $b) { settlement { schoolApplications { applicationNo } } } }`, { a: apps[0].parentId, b: apps[1].parentId }, officer),
    );
    expect(many.a.settlement.schoolApplications).toEqual([{ applicationNo: apps[0].applicationNo }]);
    expect(many.b.settlement.schoolApplications).toEqual([{ applicationNo: apps[1].applicationNo }]);

    const ds = city.instances.settlement.dataSource;
    const statements: string[] = [];
    const query = ds.query.bind(ds);
    ds.query = ((sql: string, params?: unknown[]) => {
      statements.push(sql);
      return query(sql, params);
    }) as typeof ds.query;
    try {
      // what the gateway sends for a list of residents: one _entities call with every representation
      const ids = apps.slice(0, 8).map((a) => a.parentId);
      // the town official sees all three kinds (an education officer only the school applications)
      const caller = await signForwardedCaller(TEST_SUBGRAPH_SECRET, { sub: 'town-1', roles: ['TOWN_OFFICIAL'], division: TOWN });
      const res = await fetch(city.servers.settlement.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [CALLER_HEADER]: caller },
        body: JSON.stringify({
          query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on Resident { id settlement { schoolApplications { applicationNo } talentCard { cardNo } householdApplications { applicationNo } } } } }`,
          variables: { r: ids.map((id) => ({ __typename: 'Resident', id })) },
        }),
      });
      const body = (await res.json()) as { data: { _entities: { id: string; settlement: { schoolApplications: { applicationNo: string }[] } }[] } };
      expect(body.data._entities.map((e) => e.settlement.schoolApplications[0].applicationNo)).toEqual(apps.slice(0, 8).map((a) => a.applicationNo));
    } finally {
      ds.query = query;
    }
    const count = (fragment: string) => statements.filter((q) => q.includes(fragment)).length;
    expect([count('school_applications WHERE parent_id = ANY'), count('talent_cards'), count('household_applications WHERE applicant_id = ANY'), count('residents WHERE id = ANY')]).toEqual([1, 1, 1, 1]);
  });
});
