/**
 * docs/domain/01-school-admission.md, rule by rule. The scheme figures are read from the rows the
 * settlement migrations seed (the scheme in force for the 2026 school year), not from a copy.
 */
import { registry } from '@citypoints/registry';
import { makeIdNumber } from '@citypoints/kit';
import { codes, eventually, FixedClock, ok, seed, startCity, type TestCity } from '@citypoints/test-city';
import { settlement } from '../../subgraphs/settlement/src';
import { itemOf, itemPoints, scoreApplication, unmetConditions, type IndicatorState, type SchemeDefinition } from '../../subgraphs/settlement/src/schemes/engine';
import { rankAndPlaceCanonical, sha256, type CanonicalApplication } from '../../subgraphs/settlement/src/admission/canonical';

const TOWN = '441900003';
const VILLAGE = '441900003001';
let city: TestCity;
let scheme: SchemeDefinition;

const pts = (code: string, value: string | number) => itemPoints(itemOf(scheme, code)!, String(value)).points;
const verified = (code: string, value: string | number): IndicatorState => ({ code, claimed: String(value), verified: String(value), status: 'VERIFIED' });
const app = (no: string, o: Partial<CanonicalApplication> = {}): CanonicalApplication => ({
  app: no,
  scheme: 'DG-SCHOOL/2',
  total: 100,
  tie: [0, 0],
  priority: false,
  submittedAt: '2026-03-10T02:00:00.000000Z',
  preferences: ['S1'],
  eligible: true,
  lines: '',
  ...o,
});
const H = { year: 2026, town: '441900003', grade: 'PRIMARY_1', seed: 'conformance-seed' };

beforeAll(async () => {
  city = await startCity({ modules: [registry, settlement], workers: true, clock: new FixedClock(new Date('2026-03-10T02:00:00Z')), label: 'conf_school' });
  const [row] = await city.instances.settlement.dataSource.query(
    `SELECT code, definition FROM settlement.schemes WHERE kind = 'SCHOOL_ADMISSION' AND year <= 2026 ORDER BY year DESC, version DESC LIMIT 1`,
  );
  expect(row.code).toBe('DG-SCHOOL');
  scheme = row.definition;
});
afterAll(() => city?.close());

describe('§1 Who may apply', () => {
  it('A LOCAL parent is turned away at submission with INELIGIBLE', async () => {
    const officer = await city.token('EDUCATION_OFFICER', { sub: 'conf-edu', division: TOWN });
    const school = ok(await city.query(`mutation($i: UpsertSchoolInput!) { upsertSchool(input: $i) { id } }`, { i: { name: '东城一致性小学', townCode: TOWN, seats: [{ year: 2026, grade: 'PRIMARY_1', seats: 5 }] } }, officer)).upsertSchool.id;
    const s = seed(city);
    const local = await s.resident({ hukou: 'LOCAL', divisionCode: VILLAGE });
    const migrant = await s.resident({ hukou: 'MIGRANT', divisionCode: VILLAGE });
    await eventually(async () => (await city.instances.settlement.dataSource.query(`SELECT 1 FROM settlement.residents WHERE id = ANY($1::uuid[])`, [[local.id, migrant.id]])).length === 2);
    const SUBMIT = `mutation($i: SubmitSchoolApplicationInput!) { submitSchoolApplication(input: $i) { applicationNo status } }`;
    const input = (parentId: string, n: number) => ({ parentId, childName: '陈小军', childIdNumber: makeIdNumber('441900', '2020-03-15', 900 + n), year: 2026, grade: 'PRIMARY_1', townCode: TOWN, preferences: [school], indicators: [{ code: 'EDUCATION', value: 'COLLEGE' }] });
    const before = (await city.instances.settlement.dataSource.query(`SELECT count(*)::int AS n FROM settlement.school_applications`))[0].n;
    expect(codes(await city.query(SUBMIT, { i: input(local.id, 1) }, officer))).toEqual(['INELIGIBLE']);
    expect((await city.instances.settlement.dataSource.query(`SELECT count(*)::int AS n FROM settlement.school_applications`))[0].n).toBe(before);
    // the same application from a MIGRANT parent is taken
    expect(ok(await city.query(SUBMIT, { i: input(migrant.id, 2) }, officer)).submitSchoolApplication.applicationNo).toBeTruthy();
  });

  it('The scoring parent must be registered as MIGRANT (the shipped scheme names the hukou it requires)', () => {
    expect(scheme.parentHukou).toBe('MIGRANT');
  });

  it('Holding a residence permit and paying social insurance are two conditions, RESIDENCE_PERMIT and SOCIAL_INSURANCE, worth 0 points', () => {
    expect(scheme.eligibility).toEqual(['RESIDENCE_PERMIT', 'SOCIAL_INSURANCE']);
    expect(pts('RESIDENCE_PERMIT', 'true')).toBe(0);
    expect(pts('SOCIAL_INSURANCE', 'true')).toBe(0);
  });

  it('An application lacking either verified condition becomes INELIGIBLE, the missing condition named', () => {
    expect(unmetConditions(scheme, [verified('RESIDENCE_PERMIT', 'true')])).toEqual(['SOCIAL_INSURANCE']);
    expect(unmetConditions(scheme, [verified('RESIDENCE_PERMIT', 'true'), { code: 'SOCIAL_INSURANCE', claimed: 'true', verified: null, status: 'CLAIMED' }])).toEqual(['SOCIAL_INSURANCE']);
    expect(unmetConditions(scheme, [verified('RESIDENCE_PERMIT', 'true'), verified('SOCIAL_INSURANCE', 'true')])).toEqual([]);
  });

  it('… and stays out of the pool', () => {
    const out = rankAndPlaceCanonical(H, [{ school: 'S1', seats: 5 }], [app('A1'), app('A2', { eligible: false, total: 500 })]);
    expect(out).toEqual([
      { rank: 1, app: 'A1', school: 'S1', outcome: 'ADMITTED' },
      { rank: null, app: 'A2', school: null, outcome: 'INELIGIBLE' },
    ]);
  });
});

describe('§1 Scoring (default scheme DG-SCHOOL)', () => {
  it('education and the highest qualification score by option', () => {
    expect(['HIGH_SCHOOL_OR_BELOW', 'COLLEGE', 'BACHELOR', 'MASTER_OR_ABOVE'].map((v) => pts('EDUCATION', v))).toEqual([30, 60, 80, 100]);
    expect(pts('QUALIFICATION', 'SENIOR_TECHNICIAN_OR_SENIOR_TITLE')).toBe(100);
    expect(pts('QUALIFICATION', 'JUNIOR_WORKER')).toBe(10);
  });

  it('years working and living in the city score in tiers (1 a year for the first two years, 2 a year for years 3–5, 3 a year after)', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 10].map((y) => pts('WORK_YEARS', y))).toEqual([0, 1, 2, 4, 6, 8, 11, 14, 23]);
    expect([2, 5, 6].map((y) => pts('RESIDENCE_YEARS', y))).toEqual([2, 8, 11]);
  });

  it('each insured type-year scores 1.5', () => {
    expect([1, 3, 20].map((n) => pts('SOCIAL_INSURANCE_TYPE_YEARS', n))).toEqual([1.5, 4.5, 30]);
  });

  it('five tax lines score by amount with their own caps and together at most 100', () => {
    expect(itemPoints(itemOf(scheme, 'OTHER_INCOME_TAX_3Y')!, '25000')).toEqual({ points: 10, capped: true });
    expect(pts('SOLE_TRADER_TAX_3Y', 45000)).toBe(30);
    const b = scoreApplication(scheme, [
      verified('SALARY_TAX_3Y', 6000),
      verified('OTHER_INCOME_TAX_3Y', 10000),
      verified('SOLE_TRADER_TAX_3Y', 30000),
      verified('COMPANY_TAX_SHARE_3Y', 90000),
      verified('DEED_TAX', 30000),
    ]);
    const separately = ['SALARY_TAX_3Y', 'OTHER_INCOME_TAX_3Y', 'SOLE_TRADER_TAX_3Y', 'COMPANY_TAX_SHARE_3Y', 'DEED_TAX'].map((c, i) => pts(c, [6000, 10000, 30000, 90000, 30000][i]));
    expect(separately.reduce((a, n) => a + n, 0)).toBeGreaterThan(100);
    expect(b.total).toBe(100);
  });

  it('blood donations, volunteer hours, local kindergarten and school years, home ownership, a patent, a skills contest and family-planning compliance add points', () => {
    for (const [code, value] of [
      ['BLOOD_DONATIONS_5Y', 3],
      ['PARENT_VOLUNTEER_HOURS_5Y', 100],
      ['CHILD_VOLUNTEER_HOURS_5Y', 100],
      ['LOCAL_KINDERGARTEN_YEARS', 2],
      ['LOCAL_SCHOOL_YEARS', 2],
      ['HOME_OWNERSHIP', 'OVER_5_YEARS'],
      ['PATENT', 'true'],
      ['SKILL_CONTEST', 'CITY'],
      ['FAMILY_PLANNING_COMPLIANT', 'true'],
    ] as const) {
      const b = scoreApplication(scheme, [verified('EDUCATION', 'COLLEGE'), verified(code, value)]);
      expect([code, b.total - 60]).toEqual([code, pts(code, value)]);
      expect([code, pts(code, value) > 0]).toEqual([code, true]);
    }
  });

  it('each criminal record in the last five years takes 100 away', () => {
    expect([1, 2].map((n) => pts('CRIMINAL_RECORDS_5Y', n))).toEqual([-100, -200]);
  });

  it('Only verified values score. A line still CLAIMED when ranking runs scores 0; the breakdown shows both the claimed and the verified value', () => {
    const b = scoreApplication(scheme, [
      { code: 'EDUCATION', claimed: 'BACHELOR', verified: 'COLLEGE', status: 'VERIFIED' },
      { code: 'WORK_YEARS', claimed: '7', verified: null, status: 'CLAIMED' },
    ]);
    expect(b.lines.find((l) => l.code === 'EDUCATION')).toMatchObject({ claimed: 'BACHELOR', verified: 'COLLEGE', points: 60 });
    expect(b.lines.find((l) => l.code === 'WORK_YEARS')).toMatchObject({ claimed: '7', points: 0 });
    expect(b.total).toBe(60);
  });

  it('Lines the city itself knows verify themselves and name their source: the parent\'s and the child\'s volunteer hours come from confirmed service hours in volunteering over the five years before submission (the shipped scheme from the 2027 school year)', async () => {
    const [row] = await city.instances.settlement.dataSource.query(
      `SELECT version, definition FROM settlement.schemes WHERE kind = 'SCHOOL_ADMISSION' AND year <= 2027 ORDER BY year DESC, version DESC LIMIT 1`,
    );
    const def: SchemeDefinition = row.definition;
    expect(def.items.filter((i) => i.verifiedFrom).map((i) => [i.code, i.verifiedFrom])).toEqual([
      ['PARENT_VOLUNTEER_HOURS_5Y', { source: 'volunteering', fact: 'confirmedHours', subject: 'PARENT', windowYears: 5 }],
      ['CHILD_VOLUNTEER_HOURS_5Y', { source: 'volunteering', fact: 'confirmedHours', subject: 'CHILD', windowYears: 5 }],
    ]);
    // the same points as the scheme before it: 120 hours are 4 points, 60 hours 2
    expect(itemPoints(itemOf(def, 'PARENT_VOLUNTEER_HOURS_5Y')!, '120').points).toBe(4);
    expect(itemPoints(itemOf(def, 'CHILD_VOLUNTEER_HOURS_5Y')!, '60').points).toBe(2);
    expect(def.items.map((i) => ({ ...i, verifiedFrom: undefined }))).toEqual(scheme.items.map((i) => ({ ...i, verifiedFrom: undefined })));
  });

  it('A negative total is never admitted: REJECTED', () => {
    const b = scoreApplication(scheme, [verified('EDUCATION', 'COLLEGE'), verified('CRIMINAL_RECORDS_5Y', 1)]);
    expect(b.total).toBe(-40);
    const out = rankAndPlaceCanonical(H, [{ school: 'S1', seats: 5 }], [app('A1', { total: b.total })]);
    expect(out).toEqual([{ rank: null, app: 'A1', school: null, outcome: 'REJECTED' }]);
  });

  it('False documents … bar the scoring parent from school applications for three years', () => {
    expect(scheme.barYears).toBe(3);
  });
});

describe('§1 Seats, ranking and placement', () => {
  it('Applications for school year Y are taken from 1 September of Y − 1 to 31 May of Y', () => {
    expect(scheme.applicationWindow).toEqual({ opensMonthDay: '09-01', closesMonthDay: '05-31' });
  });

  it('Honours and veteran status are boolean lines (CITY_HONOUR_5Y, DECORATED_VETERAN, 0 points) that count once verified', () => {
    expect(pts('CITY_HONOUR_5Y', 'true')).toBe(0);
    expect(pts('DECORATED_VETERAN', 'true')).toBe(0);
    expect(scoreApplication(scheme, [verified('CITY_HONOUR_5Y', 'true')]).priority).toBe(true);
    expect(scoreApplication(scheme, [{ code: 'DECORATED_VETERAN', claimed: 'true', verified: null, status: 'CLAIMED' }]).priority).toBe(false);
  });

  it('priority applicants first by submission time, then the rest by total points descending', () => {
    const out = rankAndPlaceCanonical(H, [{ school: 'S1', seats: 10 }], [
      app('A1', { total: 300 }),
      app('A2', { total: 10, priority: true, submittedAt: '2026-03-10T02:05:00.000000Z' }),
      app('A3', { total: 5, priority: true, submittedAt: '2026-03-10T02:01:00.000000Z' }),
      app('A4', { total: 200 }),
    ]);
    expect(out.map((r) => r.app)).toEqual(['A3', 'A2', 'A1', 'A4']);
    expect(out.map((r) => r.rank)).toEqual([1, 2, 3, 4]);
  });

  it('ties broken by the SOCIAL_INSURANCE_TYPE_YEARS points, then the RESIDENCE_YEARS points', () => {
    expect(scheme.tieBreakers).toEqual(['SOCIAL_INSURANCE_TYPE_YEARS', 'RESIDENCE_YEARS']);
    const out = rankAndPlaceCanonical(H, [{ school: 'S1', seats: 10 }], [app('A1', { tie: [3, 9] }), app('A2', { tie: [4.5, 0] }), app('A3', { tie: [3, 11] })]);
    expect(out.map((r) => r.app)).toEqual(['A2', 'A3', 'A1']);
  });

  it('then by a reproducible lottery: the lowercase hex SHA-256 of seed + applicationNo, ascending', () => {
    const nos = Array.from({ length: 8 }, (_, i) => `S2026-${String(i).padStart(4, '0')}`);
    const expected = [...nos].sort((a, b) => (sha256(H.seed + a) < sha256(H.seed + b) ? -1 : 1));
    const out = rankAndPlaceCanonical(H, [{ school: 'S1', seats: 10 }], nos.map((n) => app(n)));
    expect(out.map((r) => r.app)).toEqual(expected);
    expect(expected).not.toEqual(nos);
    expect(sha256('ab')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('The same inputs and seed always give the same ranks', () => {
    const apps = Array.from({ length: 6 }, (_, i) => app(`N${i}`, { total: i % 2 }));
    const a = rankAndPlaceCanonical(H, [{ school: 'S1', seats: 2 }], apps);
    const b = rankAndPlaceCanonical(H, [{ school: 'S1', seats: 2 }], [...apps].reverse());
    expect(b).toEqual(a);
    expect(rankAndPlaceCanonical({ ...H, seed: 'another' }, [{ school: 'S1', seats: 2 }], apps).map((r) => r.app)).not.toEqual(a.map((r) => r.app));
  });

  it('Placement: each applicant gets the first school on their list that still has a seat, otherwise WAITLISTED', () => {
    const out = rankAndPlaceCanonical(H, [{ school: 'S1', seats: 1 }, { school: 'S2', seats: 1 }], [
      app('A1', { total: 30, preferences: ['S1', 'S2'] }),
      app('A2', { total: 20, preferences: ['S1', 'S2'] }),
      app('A3', { total: 10, preferences: ['S1', 'S2'] }),
    ]);
    expect(out.map((r) => [r.app, r.school, r.outcome])).toEqual([
      ['A1', 'S1', 'ADMITTED'],
      ['A2', 'S2', 'ADMITTED'],
      ['A3', null, 'WAITLISTED'],
    ]);
  });
});
