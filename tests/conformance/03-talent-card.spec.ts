/**
 * docs/domain/03-talent-card.md through the gateway (registry + settlement): the quota shares are
 * the rows settlement's migration seeds, the benefits the seeded benefit list.
 */
import { registry } from '@citypoints/registry';
import { codes, eventually, ok, seed, startCity, type TestCity } from '@citypoints/test-city';
import { settlement } from '../../subgraphs/settlement/src';

const VILLAGE = '441900003001';
const ISSUE = `mutation($r: ID!, $c: TalentCategory!) { issueTalentCard(residentId: $r, category: $c, year: 2027) { cardNo category benefits } }`;

let city: TestCity;
let admin: string;
let people: string[];

beforeAll(async () => {
  city = await startCity({ modules: [registry, settlement], workers: true, label: 'conf_talent' });
  admin = await city.token('CITY_ADMIN', { sub: 'conf-admin' });
  const s = seed(city);
  people = [];
  for (let i = 0; i < 5; i++) people.push((await s.resident({ divisionCode: VILLAGE, hukou: 'MIGRANT' })).id);
  await eventually(async () => (await city.instances.settlement.dataSource.query(`SELECT count(*)::int AS n FROM settlement.residents WHERE id = ANY($1::uuid[])`, [people]))[0].n === people.length);
});
afterAll(() => city.close());

describe('§3 Talent card', () => {
  it('The city sets a yearly quota and splits it into three shares: 20% investment and tax, 40% academic and skill, 40% recommended by enterprises', async () => {
    const rows = await city.instances.settlement.dataSource.query(`SELECT category, share_percent FROM settlement.talent_shares ORDER BY category`);
    expect(rows).toEqual([
      { category: 'ACADEMIC_SKILL', share_percent: 40 },
      { category: 'ENTERPRISE_RECOMMENDED', share_percent: 40 },
      { category: 'INVESTMENT_TAX', share_percent: 20 },
    ]);
    expect(ok(await city.query(`mutation { setTalentCardQuota(year: 2027, total: 11) }`, {}, admin)).setTalentCardQuota).toBe(11);
  });

  it('Each share is rounded down', async () => {
    const q = ok(await city.query(`{ talentCardQuota(year: 2027) { total shares { category sharePercent share } } }`, {}, admin)).talentCardQuota;
    // 11 × 40% = 4.4 → 4; 11 × 20% = 2.2 → 2
    expect(q).toEqual({
      total: 11,
      shares: [
        { category: 'ACADEMIC_SKILL', sharePercent: 40, share: 4 },
        { category: 'ENTERPRISE_RECOMMENDED', sharePercent: 40, share: 4 },
        { category: 'INVESTMENT_TAX', sharePercent: 20, share: 2 },
      ],
    });
  });

  it("Approving a card that would go beyond its category's share fails with QUOTA_EXCEEDED, however many approvals race for the last seat", async () => {
    const results = await Promise.all(people.slice(0, 4).map((r) => city.query(ISSUE, { r, c: 'INVESTMENT_TAX' }, admin)));
    expect(results.map((r) => codes(r)[0] ?? 'ISSUED').sort()).toEqual(['ISSUED', 'ISSUED', 'QUOTA_EXCEEDED', 'QUOTA_EXCEEDED']);
    // another category's share is untouched
    ok(await city.query(ISSUE, { r: people[4], c: 'ACADEMIC_SKILL' }, admin));
  });

  it('A card gives its holder the hukou condition TALENT_CARD_HOLDER (§2)', async () => {
    const [h] = await city.instances.settlement.dataSource.query(`SELECT definition FROM settlement.schemes WHERE kind = 'HOUSEHOLD_REGISTRATION' ORDER BY year DESC, version DESC LIMIT 1`);
    expect(h.definition.conditions).toContain('TALENT_CARD_HOLDER');
  });

  it('… and a list of service benefits (medical care, housing, starting a business, public transport) that other departments can look up', async () => {
    const cards = await city.instances.settlement.dataSource.query(`SELECT card_no FROM settlement.talent_cards WHERE holder_id = $1`, [people[4]]);
    expect(cards).toHaveLength(1);
    const d = ok(await city.query(`query($id: ID!) { resident(id: $id) { settlement { talentCard { category benefits } } } }`, { id: people[4] }, admin));
    expect(d.resident.settlement.talentCard).toEqual({ category: 'ACADEMIC_SKILL', benefits: ['BUSINESS_START_UP', 'HOUSING', 'MEDICAL', 'PUBLIC_TRANSPORT'] });
  });
});
