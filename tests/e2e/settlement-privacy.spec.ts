import type { Role } from '@citypoints/auth';
import { makeIdNumber } from '@citypoints/kit';
import { registry } from '@citypoints/registry';
import { settlement } from '@citypoints/settlement';
import { codes, eventually, FixedClock, ok, seed, startCity, type TestCity } from '@citypoints/test-city';

/**
 * Who sees a resident's settlement data (docs/domain/09-access.md), through the gateway, field by
 * field: the resident, city-wide callers and the town official see all of it; an education officer
 * of the division the school applications, a hukou officer the household applications and the
 * talent card; anyone else nothing. Every department read leaves an audit row with the token's purpose.
 */
const TOWN = '441900003';
const VILLAGE = '441900003001';
const FIELDS = {
  schoolApplications: `schoolApplications { applicationNo childName }`,
  householdApplications: `householdApplications { applicationNo }`,
  talentCard: `talentCard { cardNo }`,
} as const;
type Field = keyof typeof FIELDS;
const ALL: Field[] = ['schoolApplications', 'householdApplications', 'talentCard'];

describe('settlement data by role, and the audit of department reads', () => {
  let city: TestCity;
  let holder: string;
  let schoolNo: string;
  let householdNo: string;
  let cardNo: string;

  const read = async (token: string, field: Field) => city.query(`query($id: ID!) { resident(id: $id) { settlement { ${FIELDS[field]} } } }`, { id: holder }, token);
  const audit = async (actor: string) =>
    city.instances.settlement.dataSource.query(`SELECT subject_type, subject_id, purpose, department, action FROM settlement.audit_log WHERE actor = $1 ORDER BY subject_type`, [actor]);

  beforeAll(async () => {
    const clock = new FixedClock(new Date('2026-03-10T02:00:00Z'));
    city = await startCity({ modules: [registry, settlement], workers: true, clock, label: 'settlement_privacy' });
    const admin = await city.token('CITY_ADMIN', { sub: 'admin' });
    const edu = await city.token('EDUCATION_OFFICER', { sub: 'edu', division: TOWN });
    const hukou = await city.token('HUKOU_OFFICER', { sub: 'hukou', division: TOWN });
    const p = await seed(city).resident({ hukou: 'MIGRANT', divisionCode: VILLAGE });
    holder = p.id;
    await eventually(async () => (await city.instances.settlement.dataSource.query(`SELECT 1 FROM settlement.residents WHERE id = $1`, [holder])).length === 1);
    const school = ok(await city.query(`mutation($i: UpsertSchoolInput!) { upsertSchool(input: $i) { id } }`, { i: { name: '东城第一小学', townCode: TOWN, seats: [{ year: 2026, grade: 'PRIMARY_1', seats: 5 }] } }, edu)).upsertSchool.id;
    schoolNo = ok(
      await city.query(
        `mutation($i: SubmitSchoolApplicationInput!) { submitSchoolApplication(input: $i) { applicationNo } }`,
        { i: { parentId: holder, childName: '陈小华', childIdNumber: makeIdNumber('441900', '2020-05-05', 811), year: 2026, grade: 'PRIMARY_1', townCode: TOWN, preferences: [school], indicators: [] } },
        edu,
      ),
    ).submitSchoolApplication.applicationNo;
    householdNo = ok(
      await city.query(`mutation($i: SubmitHouseholdApplicationInput!) { submitHouseholdApplication(input: $i) { applicationNo } }`, { i: { applicantId: holder, townCode: TOWN, indicators: [{ code: 'EDUCATION', value: 'COLLEGE' }] } }, hukou),
    ).submitHouseholdApplication.applicationNo;
    ok(await city.query(`mutation { setTalentCardQuota(year: 2026, total: 10) }`, {}, admin));
    cardNo = ok(await city.query(`mutation($r: ID!) { issueTalentCard(residentId: $r, category: ACADEMIC_SKILL, year: 2026) { cardNo } }`, { r: holder }, admin)).issueTalentCard.cardNo;
  });
  afterAll(() => city?.close());

  const cases: { who: string; role: Role; claims?: Record<string, string>; self?: boolean; sees: Field[] }[] = [
    { who: 'the city administrator', role: 'CITY_ADMIN', sees: ALL },
    { who: 'a department analyst', role: 'DEPARTMENT_ANALYST', claims: { department: 'education', purpose: 'school-place planning' }, sees: ALL },
    { who: 'the town official', role: 'TOWN_OFFICIAL', claims: { division: TOWN }, sees: ALL },
    { who: 'the resident themself', role: 'RESIDENT', self: true, sees: ALL },
    { who: 'an education officer of the town', role: 'EDUCATION_OFFICER', claims: { division: TOWN }, sees: ['schoolApplications'] },
    { who: 'a hukou officer of the town', role: 'HUKOU_OFFICER', claims: { division: TOWN }, sees: ['householdApplications', 'talentCard'] },
    { who: 'an official of another town', role: 'TOWN_OFFICIAL', claims: { division: '441900121' }, sees: [] },
    { who: 'an education officer of another town', role: 'EDUCATION_OFFICER', claims: { division: '441900121' }, sees: [] },
    { who: 'another resident', role: 'RESIDENT', sees: [] },
    { who: 'a merchant', role: 'MERCHANT', sees: [] },
    { who: 'a data feed', role: 'DATA_FEED', claims: { department: 'tax' }, sees: [] },
    { who: 'a regulator of the town', role: 'REGULATOR', claims: { division: TOWN }, sees: [] },
  ];

  for (const c of cases) {
    it(`${c.who} sees ${c.sees.length ? c.sees.join(', ') : 'nothing'} of a resident's settlement data`, async () => {
      const token = await city.token(c.role, { ...(c.claims ?? {}), sub: c.self ? holder : `${c.role.toLowerCase()}-${c.who.length}` });
      for (const field of ALL) {
        const res = await read(token, field);
        if (c.sees.includes(field)) {
          const s = ok(res).resident.settlement;
          if (field === 'schoolApplications') expect(s.schoolApplications).toEqual([{ applicationNo: schoolNo, childName: '陈小华' }]);
          if (field === 'householdApplications') expect(s.householdApplications).toEqual([{ applicationNo: householdNo }]);
          if (field === 'talentCard') expect(s.talentCard).toEqual({ cardNo });
        } else {
          expect(codes(res)).toContain('FORBIDDEN');
          expect(JSON.stringify(res.data ?? null)).not.toContain(schoolNo);
          expect(JSON.stringify(res.data ?? null)).not.toContain(cardNo);
        }
      }
    });
  }

  it('scopes idempotency keys to the caller: another caller’s key never returns their application', async () => {
    const SUBMIT = `mutation($i: SubmitHouseholdApplicationInput!) { submitHouseholdApplication(input: $i) { applicationNo } }`;
    const people: string[] = [];
    for (let i = 0; i < 2; i++) {
      const p = await seed(city).resident({ hukou: 'MIGRANT', divisionCode: VILLAGE });
      await eventually(async () => (await city.instances.settlement.dataSource.query(`SELECT 1 FROM settlement.residents WHERE id = $1`, [p.id])).length === 1);
      people.push(p.id);
    }
    const first = await city.token('RESIDENT', { sub: people[0] });
    const second = await city.token('RESIDENT', { sub: people[1] });
    const input = (who: string) => ({ i: { applicantId: who, townCode: TOWN, indicators: [{ code: 'EDUCATION', value: 'COLLEGE' }], idempotencyKey: 'household-key-0001' } });
    const mine = ok(await city.query(SUBMIT, input(people[0]), first)).submitHouseholdApplication.applicationNo;
    expect(ok(await city.query(SUBMIT, input(people[0]), first)).submitHouseholdApplication.applicationNo).toBe(mine);
    const theirs = ok(await city.query(SUBMIT, input(people[1]), second)).submitHouseholdApplication.applicationNo;
    expect(theirs).not.toBe(mine);
    // an official of the town using the same key acts under their own key, for their own request
    const official = await city.token('HUKOU_OFFICER', { sub: 'hukou-keys', division: TOWN });
    expect(codes(await city.query(SUBMIT, input(people[0]), official))).toEqual(['CONFLICT']); // people[0] has an open application already
  });

  it('writes an audit row, with the token’s purpose, for each department read of a talent card and the applications', async () => {
    const token = await city.token('DEPARTMENT_ANALYST', { sub: 'analyst-audit', department: 'human-resources', purpose: 'talent policy review' });
    ok(await city.query(`query($id: ID!) { resident(id: $id) { settlement { ${FIELDS.talentCard} ${FIELDS.schoolApplications} ${FIELDS.householdApplications} } } }`, { id: holder }, token));
    const rows = await audit('analyst-audit');
    expect(rows.map((r: { subject_type: string; subject_id: string }) => [r.subject_type, r.subject_id])).toEqual([
      ['HouseholdApplication', householdNo],
      ['SchoolApplication', schoolNo],
      ['TalentCard', cardNo],
    ]);
    for (const r of rows) expect(r).toMatchObject({ purpose: 'talent policy review', department: 'human-resources', action: 'read' });
    // a read that is not a department's leaves none; a refused one neither
    ok(await city.query(`query($id: ID!) { resident(id: $id) { settlement { ${FIELDS.talentCard} } } }`, { id: holder }, await city.token('CITY_ADMIN', { sub: 'admin-no-audit' })));
    expect(await audit('admin-no-audit')).toEqual([]);
    await city.query(`query($id: ID!) { resident(id: $id) { settlement { ${FIELDS.talentCard} } } }`, { id: holder }, await city.token('DATA_FEED', { sub: 'feed-no-audit', department: 'tax' }));
    expect(await audit('feed-no-audit')).toEqual([]);
  });
});
