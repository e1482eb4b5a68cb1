import { saveCalendarYear } from '@citypoints/calendar';
import { createQueue } from '@citypoints/jobs';
import { codes, eventually, ok, type FixedClock, type TestCity } from '@citypoints/test-city';
import { OVERDUE_QUEUE } from '../src/household/household.jobs';
import { residents, startSettlementCity, TOWN } from './helpers';

const SUBMIT = `mutation($i: SubmitHouseholdApplicationInput!) { submitHouseholdApplication(input: $i) {
  applicationNo status eligible conditions stageDueDates points { total schemeCode lines { code claimed verified status points } } } }`;
const VERIFY = `mutation($n: ID!, $v: [IndicatorVerdictInput!]!, $c: [String!]) { verifyHouseholdIndicators(applicationNo: $n, verdicts: $v, verifiedConditions: $c) {
  status eligible conditions points { total } } }`;
const STAGES = `query($n: ID!) { householdApplication(applicationNo: $n) { stages { stage dueDate completedAt overdueFlaggedOn } } }`;

describe('household registration by points or conditions', () => {
  let city: TestCity;
  let clock: FixedClock;
  let officer: string;
  let admin: string;

  beforeAll(async () => {
    ({ city, clock } = await startSettlementCity('2026-03-10T02:00:00Z'));
    officer = await city.token('HUKOU_OFFICER', { sub: 'hukou-1', division: TOWN });
    admin = await city.token('CITY_ADMIN', { sub: 'admin' });
  });
  afterAll(() => city.close());

  it('derives AGE from the birth date, counts verified points only, and becomes eligible at the threshold', async () => {
    const [p] = await residents(city, 1, { birthDate: '1979-03-01' });
    const token = await city.token('RESIDENT', { sub: p.id });
    const indicators = [
      { code: 'EDUCATION', value: 'COLLEGE' },
      { code: 'CITY_YEARS', value: '6' },
      { code: 'SOCIAL_INSURANCE_TYPE_YEARS', value: '10' },
    ];
    const a = ok(await city.query(SUBMIT, { i: { applicantId: p.id, townCode: TOWN, indicators } }, token)).submitHouseholdApplication;
    expect(a).toMatchObject({ status: 'SUBMITTED', eligible: false, points: { total: -6, schemeCode: 'DG-HUKOU' } });
    expect(a.points.lines.find((l: { code: string }) => l.code === 'AGE')).toEqual({ code: 'AGE', claimed: '47', verified: '47', status: 'VERIFIED', points: -6 });
    expect(a.stageDueDates).toMatchObject({ FILE_TO_TOWN: '2026-03-12', FIRST_REVIEW: '2026-03-19', POLICE_AND_FAMILY_PLANNING_CHECKS: '2026-03-24', RESULT: '2026-04-08', PUBLIC_NOTICE: '2026-04-15' });
    const v = ok(await city.query(VERIFY, { n: a.applicationNo, v: indicators.map((i) => ({ code: i.code, status: 'VERIFIED' })) }, officer)).verifyHouseholdIndicators;
    expect(v).toEqual({ status: 'ELIGIBLE', eligible: true, conditions: [], points: { total: 60 + 28 + 20 - 6 } });
  });

  it('makes an applicant eligible on a verified condition, and ineligible when everything is decided below the threshold', async () => {
    const [a1, a2] = await residents(city, 2, { birthDate: '1995-05-05' });
    const one = ok(await city.query(SUBMIT, { i: { applicantId: a1.id, townCode: TOWN, conditions: ['BACHELOR_DEGREE'], indicators: [{ code: 'EDUCATION', value: 'BACHELOR_OR_ABOVE' }] } }, officer)).submitHouseholdApplication;
    const v1 = ok(await city.query(VERIFY, { n: one.applicationNo, v: [{ code: 'EDUCATION', status: 'VERIFIED' }], c: ['BACHELOR_DEGREE'] }, officer)).verifyHouseholdIndicators;
    expect(v1).toEqual({ status: 'ELIGIBLE', eligible: true, conditions: ['BACHELOR_DEGREE'], points: { total: 85 } });
    const two = ok(await city.query(SUBMIT, { i: { applicantId: a2.id, townCode: TOWN, indicators: [{ code: 'EDUCATION', value: 'COLLEGE' }, { code: 'PATENT', value: 'true' }] } }, officer)).submitHouseholdApplication;
    const v2 = ok(await city.query(VERIFY, { n: two.applicationNo, v: [{ code: 'EDUCATION', status: 'VERIFIED' }, { code: 'PATENT', status: 'REJECTED' }] }, officer)).verifyHouseholdIndicators;
    expect(v2).toEqual({ status: 'INELIGIBLE', eligible: false, conditions: [], points: { total: 65 } });
  });

  it('grants the talent-card condition from the card itself', async () => {
    const [h] = await residents(city, 1);
    ok(await city.query(`mutation { setTalentCardQuota(year: 2026, total: 10) }`, {}, admin));
    ok(await city.query(`mutation($r: ID!) { issueTalentCard(residentId: $r, category: ENTERPRISE_RECOMMENDED, year: 2026) { cardNo } }`, { r: h.id }, admin));
    const a = ok(await city.query(SUBMIT, { i: { applicantId: h.id, townCode: TOWN, conditions: ['TALENT_CARD_HOLDER'], indicators: [] } }, officer)).submitHouseholdApplication;
    expect(a).toMatchObject({ status: 'ELIGIBLE', eligible: true, conditions: ['TALENT_CARD_HOLDER'] });
  });

  it('refuses unknown conditions, other towns’ officers and other residents', async () => {
    const [p, q] = await residents(city, 2);
    expect(codes(await city.query(SUBMIT, { i: { applicantId: p.id, townCode: TOWN, conditions: ['FRIEND_OF_MAYOR'], indicators: [] } }, officer))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await city.query(SUBMIT, { i: { applicantId: p.id, townCode: TOWN, indicators: [{ code: 'AGE', value: '30' }] } }, officer))).toEqual(['BAD_USER_INPUT']);
    const a = ok(await city.query(SUBMIT, { i: { applicantId: p.id, townCode: TOWN, indicators: [{ code: 'EDUCATION', value: 'COLLEGE' }] } }, officer)).submitHouseholdApplication;
    const elsewhere = await city.token('HUKOU_OFFICER', { division: '441900121' });
    expect(codes(await city.query(VERIFY, { n: a.applicationNo, v: [{ code: 'EDUCATION', status: 'VERIFIED' }] }, elsewhere))).toEqual(['FORBIDDEN']);
    const neighbour = await city.token('RESIDENT', { sub: q.id });
    expect(codes(await city.query(`query($n: ID!) { householdApplication(applicationNo: $n) { applicationNo } }`, { n: a.applicationNo }, neighbour))).toEqual(['FORBIDDEN']);
    const WITHDRAW = `mutation($n: ID!) { withdrawHouseholdApplication(applicationNo: $n) { status eligible } }`;
    expect(codes(await city.query(WITHDRAW, { n: a.applicationNo }, neighbour))).toEqual(['FORBIDDEN']);
    const own = await city.token('RESIDENT', { sub: p.id });
    expect(ok(await city.query(WITHDRAW, { n: a.applicationNo }, own)).withdrawHouseholdApplication).toEqual({ status: 'WITHDRAWN', eligible: false });
    expect(codes(await city.query(WITHDRAW, { n: a.applicationNo }, own))).toEqual(['INVALID_STATE']);
    ok(await city.query(SUBMIT, { i: { applicantId: p.id, townCode: TOWN, indicators: [] } }, own));
  });

  it('follows registry’s changes to a resident: a move to another town changes where they may apply', async () => {
    const [p] = await residents(city, 1);
    const token = await city.token('RESIDENT', { sub: p.id });
    ok(await city.query(`mutation($id: ID!) { updateResident(id: $id, input: { divisionCode: "441900121001", householdId: "HH-MOVE-1" }) { id } }`, { id: p.id }, admin));
    await eventually(async () => {
      const rows = await city.instances.settlement.dataSource.query(`SELECT division_code, household_id FROM settlement.residents WHERE id = $1`, [p.id]);
      return rows[0].division_code === '441900121001' && rows[0].household_id === 'HH-MOVE-1';
    });
    expect(codes(await city.query(SUBMIT, { i: { applicantId: p.id, townCode: TOWN, indicators: [] } }, token))).toEqual(['BAD_USER_INPUT']);
    ok(await city.query(SUBMIT, { i: { applicantId: p.id, townCode: '441900121', indicators: [] } }, token));
    ok(await city.query(`mutation($id: ID!) { updateResident(id: $id, input: { householdId: "" }) { id } }`, { id: p.id }, admin));
    await eventually(async () => (await city.instances.settlement.dataSource.query(`SELECT household_id FROM settlement.residents WHERE id = $1`, [p.id]))[0].household_id === null);
  });

  it('flags overdue stages once a day through the scheduled job’s queue', async () => {
    clock.set('2026-03-10T02:00:00Z');
    const [p] = await residents(city, 1);
    // a claimed line still to verify keeps the application in procedure (an INELIGIBLE one is never flagged)
    const a = ok(await city.query(SUBMIT, { i: { applicantId: p.id, townCode: TOWN, indicators: [{ code: 'EDUCATION', value: 'COLLEGE' }] } }, officer)).submitHouseholdApplication;
    expect(a.status).toBe('SUBMITTED');
    const queue = createQueue(OVERDUE_QUEUE, city.queue, { prefix: city.queuePrefix });
    try {
      const flagged = async (stage: string) =>
        ok(await city.query(STAGES, { n: a.applicationNo }, officer)).householdApplication.stages.find((s: { stage: string }) => s.stage === stage).overdueFlaggedOn;
      clock.set('2026-03-12T10:00:00Z');
      await queue.add('flag-overdue-stages', {});
      await eventually(async () => (await queue.getCompletedCount()) >= 1);
      expect(await flagged('FILE_TO_TOWN')).toBeNull();
      clock.set('2026-03-13T02:00:00Z');
      await queue.add('flag-overdue-stages', {});
      await queue.add('flag-overdue-stages', {});
      await eventually(async () => (await flagged('FILE_TO_TOWN')) === '2026-03-13');
      const office = ok(await city.query(`{ overdueHouseholdStages(townCode: "${TOWN}", office: "TOWN_SERVICE_CENTRE") { applicationNo stage dueDate flaggedOn } }`, {}, officer)).overdueHouseholdStages;
      expect(office).toContainEqual({ applicationNo: a.applicationNo, stage: 'FILE_TO_TOWN', dueDate: '2026-03-12', flaggedOn: '2026-03-13' });
      await eventually(async () => (await queue.getCompletedCount()) >= 3);
      expect(await flagged('FIRST_REVIEW')).toBeNull();
      expect(codes(await city.query(`mutation($n: ID!) { completeHouseholdStage(applicationNo: $n, stage: "FIRST_REVIEW") { applicationNo } }`, { n: a.applicationNo }, officer))).toEqual(['INVALID_STATE']);
      ok(await city.query(`mutation($n: ID!) { completeHouseholdStage(applicationNo: $n, stage: "FILE_TO_TOWN") { applicationNo } }`, { n: a.applicationNo }, officer));
      // FILE_TO_TOWN completed on 03-13: FIRST_REVIEW is due 5 working days later, on 03-20
      expect(ok(await city.query(STAGES, { n: a.applicationNo }, officer)).householdApplication.stages.find((s: { stage: string }) => s.stage === 'FIRST_REVIEW').dueDate).toBe('2026-03-20');
      clock.set('2026-03-23T02:00:00Z');
      await queue.add('flag-overdue-stages', {});
      await eventually(async () => (await flagged('FIRST_REVIEW')) === '2026-03-23');
      expect(await flagged('FILE_TO_TOWN')).toBe('2026-03-13');
    } finally {
      await queue.close();
    }
  });

  it('rejects false documents and bars the applicant for 5 years', async () => {
    clock.set('2026-03-10T02:00:00Z');
    const [p] = await residents(city, 1);
    const a = ok(await city.query(SUBMIT, { i: { applicantId: p.id, townCode: TOWN, indicators: [{ code: 'EDUCATION', value: 'COLLEGE' }] } }, officer)).submitHouseholdApplication;
    const r = ok(await city.query(`mutation($n: ID!) { rejectHouseholdApplication(applicationNo: $n, reason: "forged diploma") { status eligible } }`, { n: a.applicationNo }, officer));
    expect(r.rejectHouseholdApplication).toEqual({ status: 'REJECTED', eligible: false });
    // a working-day calendar for 2031, as the city would load it once the State Council publishes the year
    await city.instances.settlement.dataSource.transaction((m) => saveCalendarYear(m, 'settlement', { year: 2031, source: 'test arrangement', days: [{ day: '2031-01-01', kind: 'HOLIDAY', name: '元旦' }] }));
    clock.set('2031-03-09T02:00:00Z');
    expect(codes(await city.query(SUBMIT, { i: { applicantId: p.id, townCode: TOWN, indicators: [] } }, officer))).toEqual(['APPLICANT_BARRED']);
    clock.set('2031-03-11T02:00:00Z');
    ok(await city.query(SUBMIT, { i: { applicantId: p.id, townCode: TOWN, indicators: [] } }, officer));
  });
});
