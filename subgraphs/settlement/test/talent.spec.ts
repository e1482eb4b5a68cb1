import { codes, ok, type TestCity } from '@citypoints/test-city';
import { residents, startSettlementCity } from './helpers';

const ISSUE = `mutation($r: ID!, $c: TalentCategory!) { issueTalentCard(residentId: $r, category: $c, year: 2027) { cardNo category } }`;

describe('talent cards', () => {
  let city: TestCity;
  let admin: string;
  let people: Awaited<ReturnType<typeof residents>>;

  beforeAll(async () => {
    ({ city } = await startSettlementCity());
    admin = await city.token('CITY_ADMIN', { sub: 'admin' });
    people = await residents(city, 56);
  });
  afterAll(() => city.close());

  it('issues exactly the 40% academic-and-skill share of a quota of 10 when 50 requests arrive at once', async () => {
    expect(ok(await city.query(`mutation { setTalentCardQuota(year: 2027, total: 10) }`, {}, admin)).setTalentCardQuota).toBe(10);
    const results = await Promise.all(people.slice(0, 50).map((p) => city.query(ISSUE, { r: p.id, c: 'ACADEMIC_SKILL' }, admin)));
    const issued = results.filter((r) => !r.errors);
    expect(issued).toHaveLength(4);
    expect(results.filter((r) => codes(r)[0] === 'QUOTA_EXCEEDED')).toHaveLength(46);
    const rows = await city.instances.settlement.dataSource.query(`SELECT count(*)::int AS n FROM settlement.talent_cards WHERE year = 2027 AND category = 'ACADEMIC_SKILL'`);
    expect(rows[0].n).toBe(4);
  });

  it('keeps each category to its own share, rounded down', async () => {
    const investment = await Promise.all(people.slice(50, 53).map((p) => city.query(ISSUE, { r: p.id, c: 'INVESTMENT_TAX' }, admin)));
    expect(investment.map((r) => codes(r)[0] ?? 'ISSUED').sort()).toEqual(['ISSUED', 'ISSUED', 'QUOTA_EXCEEDED']);
    const quota = ok(await city.query(`{ talentCardQuota(year: 2027) { total shares { category share issued } } }`, {}, admin)).talentCardQuota;
    expect(quota.shares).toEqual([
      { category: 'ACADEMIC_SKILL', share: 4, issued: 4 },
      { category: 'ENTERPRISE_RECOMMENDED', share: 4, issued: 0 },
      { category: 'INVESTMENT_TAX', share: 2, issued: 2 },
    ]);
    expect(codes(await city.query(`mutation { setTalentCardQuota(year: 2027, total: 5) }`, {}, admin))).toEqual(['INVALID_STATE']);
  });

  it('refuses a second card for the holder, an unknown resident, a year without quota and a resident caller', async () => {
    const holder = (await city.instances.settlement.dataSource.query(`SELECT holder_id FROM settlement.talent_cards WHERE year = 2027 LIMIT 1`))[0].holder_id;
    ok(await city.query(`mutation { setTalentCardQuota(year: 2027, total: 20) }`, {}, admin));
    expect(codes(await city.query(ISSUE, { r: holder, c: 'ENTERPRISE_RECOMMENDED' }, admin))).toEqual(['CONFLICT']);
    expect(codes(await city.query(ISSUE, { r: '00000000-0000-4000-8000-000000000000', c: 'ENTERPRISE_RECOMMENDED' }, admin))).toEqual(['NOT_FOUND']);
    expect(codes(await city.query(`mutation($r: ID!) { issueTalentCard(residentId: $r, category: ACADEMIC_SKILL, year: 2030) { cardNo } }`, { r: people[54].id }, admin))).toEqual(['INVALID_STATE']);
    const resident = await city.token('RESIDENT', { sub: people[55].id });
    expect(codes(await city.query(ISSUE, { r: people[55].id, c: 'ENTERPRISE_RECOMMENDED' }, resident))).toEqual(['FORBIDDEN']);
  });
});
