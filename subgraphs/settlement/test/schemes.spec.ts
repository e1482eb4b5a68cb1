import { codes, ok, type FixedClock, type TestCity } from '@citypoints/test-city';
import { DG_SCHOOL, DG_SCHOOL_ELIGIBILITY, DG_SCHOOL_VERIFIED } from '../src/migrations/default-schemes';
import { childIdNumber, residents, startSettlementCity, SUBMIT, TOWN, upsertSchool, waitForRun } from './helpers';

const PUBLISH = `mutation($k: SchemeKind!, $c: String!, $y: Int!, $d: JSON!) { publishPointsScheme(kind: $k, code: $c, year: $y, definition: $d) { id code year version threshold } }`;

describe('points schemes as data, and the demo city', () => {
  let city: TestCity;
  let clock: FixedClock;
  let admin: string;
  let officer: string;

  beforeAll(async () => {
    ({ city, clock } = await startSettlementCity('2026-03-10T02:00:00Z'));
    admin = await city.token('CITY_ADMIN', { sub: 'admin' });
    officer = await city.token('EDUCATION_OFFICER', { sub: 'edu', division: TOWN });
  });
  afterAll(() => city.close());

  it('serves the seeded defaults as the schemes in force', async () => {
    const d = ok(await city.query(`{ s: pointsScheme(kind: SCHOOL_ADMISSION, year: 2026) { code year version threshold definition } h: pointsScheme(kind: HOUSEHOLD_REGISTRATION, year: 2026) { code year version threshold } }`, {}, officer));
    // version 2 (2026): version 1's points with the eligibility conditions of docs/domain/01-school-admission.md
    expect(d.s).toMatchObject({ code: 'DG-SCHOOL', year: 2026, version: 2, threshold: null });
    expect(d.s.definition).toMatchObject({ parentHukou: 'MIGRANT', eligibility: ['RESIDENCE_PERMIT', 'SOCIAL_INSURANCE'] });
    expect(d.s.definition.items.find((i: { code: string }) => i.code === 'WORK_YEARS').tiers).toEqual([{ from: 1, to: 2, points: 1 }, { from: 3, to: 5, points: 2 }, { from: 6, points: 3 }]);
    // version 2 (2026): version 1's points with VOLUNTEER_HOURS verified from volunteering's confirmed hours
    expect(d.h).toEqual({ code: 'DG-HUKOU', year: 2026, version: 2, threshold: 100 });
  });

  it('publishes a validated new version; old applications keep explaining themselves by the old one', async () => {
    const [p1, p2] = await residents(city, 2);
    const school = await upsertSchool(city, officer, '东城第九小学', 5);
    const apply = (parentId: string) =>
      city.query(SUBMIT, { i: { parentId, childName: '陈小军', childIdNumber: childIdNumber(2020), year: 2026, grade: 'PRIMARY_1', townCode: TOWN, preferences: [school], indicators: [{ code: 'EDUCATION', value: 'COLLEGE' }] } }, officer);
    const before = ok(await apply(p1.id)).submitSchoolApplication.applicationNo;

    const bad = JSON.parse(JSON.stringify(DG_SCHOOL));
    bad.items.push({ code: 'LUCK', label: '运气', kind: 'DICE' });
    expect(codes(await city.query(PUBLISH, { k: 'SCHOOL_ADMISSION', c: 'DG-SCHOOL', y: 2026, d: bad }, admin))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await city.query(PUBLISH, { k: 'SCHOOL_ADMISSION', c: 'DG-SCHOOL', y: 2026, d: DG_SCHOOL }, officer))).toEqual(['FORBIDDEN']);

    const next = JSON.parse(JSON.stringify(DG_SCHOOL));
    next.items.find((i: { code: string }) => i.code === 'EDUCATION').options.COLLEGE = 70;
    const published = ok(await city.query(PUBLISH, { k: 'SCHOOL_ADMISSION', c: 'DG-SCHOOL', y: 2026, d: next }, admin)).publishPointsScheme;
    // versions count up per code across years: 3 is the shipped 2027 version (lines verified from records)
    expect(published).toMatchObject({ code: 'DG-SCHOOL', year: 2026, version: 4 });
    expect(ok(await city.query(`{ pointsScheme(kind: SCHOOL_ADMISSION, year: 2026) { version } }`, {}, officer)).pointsScheme.version).toBe(4);
    expect(ok(await city.query(`{ pointsScheme(kind: SCHOOL_ADMISSION, year: 2027) { version } }`, {}, officer)).pointsScheme.version).toBe(3);
    expect(ok(await city.query(`{ pointsScheme(kind: SCHOOL_ADMISSION, year: 2025) { version } }`, {}, officer)).pointsScheme.version).toBe(1);

    const after = ok(await apply(p2.id)).submitSchoolApplication.applicationNo;
    const verify = (n: string) => city.query(`mutation($n: ID!) { verifyIndicators(applicationNo: $n, verdicts: [{ code: "EDUCATION", status: VERIFIED }]) { points { total schemeVersion } } }`, { n }, officer);
    expect(ok(await verify(before)).verifyIndicators.points).toEqual({ total: 60, schemeVersion: 2 });
    expect(ok(await verify(after)).verifyIndicators.points).toEqual({ total: 70, schemeVersion: 4 });
  });

  it('lists every version of a scheme, newest in force first, each still readable after a newer one', async () => {
    const h = ok(await city.query(`{ pointsSchemeHistory(kind: SCHOOL_ADMISSION, code: "DG-SCHOOL") { code year version definition } }`, {}, officer)).pointsSchemeHistory;
    expect(h.map((v: { year: number; version: number }) => [v.year, v.version])).toEqual([[2027, 3], [2026, 4], [2026, 2], [2015, 1]]);
    expect(h[3].definition).toEqual(DG_SCHOOL);
    expect(h[2].definition).toEqual(DG_SCHOOL_ELIGIBILITY);
    expect(h[1].definition.items.find((i: { code: string }) => i.code === 'EDUCATION').options.COLLEGE).toBe(70);
    expect(h[0].definition).toEqual(DG_SCHOOL_VERIFIED);
    const hukou = ok(await city.query(`{ pointsSchemeHistory(kind: HOUSEHOLD_REGISTRATION) { code version threshold } }`, {}, officer)).pointsSchemeHistory;
    expect(hukou).toEqual([{ code: 'DG-HUKOU', version: 2, threshold: 100 }, { code: 'DG-HUKOU', version: 1, threshold: 100 }]);
  });

  it('loads demo data once per seed, ready to rank', async () => {
    clock.set('2026-03-10T02:00:00Z');
    const inst = city.instances.settlement;
    await inst.seedDemo!({ seed: 20240901 });
    const count = async () => (await inst.dataSource.query(`SELECT count(*)::int AS n FROM settlement.school_applications`))[0].n;
    const n = await count();
    await inst.seedDemo!({ seed: 20240901 });
    expect(await count()).toBe(n);
    const other = (await inst.dataSource.query(
      `SELECT (SELECT count(*)::int FROM settlement.talent_cards) AS cards, (SELECT count(*)::int FROM settlement.household_applications WHERE submitted_on = '2026-03-10') AS household`,
    ))[0];
    expect(other.cards).toBeGreaterThan(0);
    expect(other.household).toBeGreaterThan(0);
    const town = (await inst.dataSource.query(`SELECT town_code FROM settlement.school_applications WHERE year = 2026 AND grade = 'PRIMARY_1' GROUP BY town_code ORDER BY count(*) DESC LIMIT 1`))[0].town_code;
    const run = ok(await city.query(`mutation($t: ID!) { runSchoolAdmission(year: 2026, townCode: $t, grade: PRIMARY_1, seed: "demo") { id } }`, { t: town }, admin)).runSchoolAdmission;
    const done = await waitForRun(city, admin, run.id);
    expect(done.ranked).toBeGreaterThan(0);
  });
});
