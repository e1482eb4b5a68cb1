/**
 * docs/domain/08-volunteering.md, "Points and hours": the time bank's rules are the scheme row the
 * volunteering migration seeds, read back from the city's migrated database and applied by the
 * subgraph's own award and star functions; earning and giving go through the gateway.
 */
import { registry } from '@citypoints/registry';
import { volunteering } from '@citypoints/volunteering';
import { DAY, HOUR } from '@citypoints/kit';
import { eventually, FixedClock, ok, seed, startCity, type TestCity } from '@citypoints/test-city';
import { administratorAward, nextStarAt, parseRules, serviceAward, starsFor, type Scheme } from '../../subgraphs/volunteering/src/scheme/scheme.rules';

const EARNED = new Date('2026-03-02T00:00:00Z');
const clock = new FixedClock(EARNED);
let city: TestCity;
let scheme: Scheme;

beforeAll(async () => {
  city = await startCity({ modules: [registry, volunteering], workers: true, clock, label: 'conf_volunteering' });
  const [row] = await city.instances.volunteering.dataSource.query(`SELECT code, version, effective_from, rules FROM volunteering.schemes ORDER BY effective_from DESC, version DESC LIMIT 1`);
  scheme = { code: row.code, version: row.version, effectiveFrom: row.effective_from, rules: parseRules(row.rules) };
});
afterAll(() => city?.close());

type Person = { id: string; divisionCode: string; token: string };
async function resident(householdId?: string): Promise<Person> {
  const r = await seed(city).resident(householdId ? { householdId } : {});
  await eventually(async () => {
    const rows = await city.instances.volunteering.dataSource.query(`SELECT household_id FROM volunteering.residents WHERE id = $1 AND division_code IS NOT NULL`, [r.id]);
    return rows.length === 1 && rows[0].household_id === (householdId ?? null);
  });
  return { id: r.id, divisionCode: r.divisionCode, token: await city.token('RESIDENT', { sub: r.id }) };
}
let keys = 0;
/** a full service, confirmed by its requester: the volunteer reports `hours` */
async function serve(v: Person, hours: number) {
  await city.query(`mutation($id: ID!) { registerVolunteer(residentId: $id, skills: ["陪护"]) { registered } }`, { id: v.id }, v.token);
  const requester = await resident();
  const i = {
    category: 'MUTUAL_AID',
    title: '陪同老人就医',
    divisionCode: requester.divisionCode,
    escrowPoints: 0,
    idempotencyKey: `conf-need-${++keys}`,
    windowStart: new Date(clock.now().getTime() + HOUR).toISOString(),
    windowEnd: new Date(clock.now().getTime() + 5 * HOUR).toISOString(),
  };
  const need = ok(await city.query(`mutation($i: PostNeedInput!) { postNeed(input: $i) { id } }`, { i }, requester.token)).postNeed;
  const act = (p: Person, m: string, vars: Record<string, unknown>, args = '') => city.query(`mutation($id: ID!${args}) { ${m} { id } }`, { id: need.id, ...vars }, p.token).then(ok);
  await act(v, 'takeNeed(needId: $id, role: PRIMARY)', {});
  await act(v, 'startService(needId: $id)', {});
  await act(v, 'completeService(needId: $id, hours: $h)', { h: hours }, ', $h: Float!');
  await act(requester, 'confirmService(needId: $id, rating: 5)', {});
}
const points = async (p: Person) => ok(await city.query(`{ myVolunteerProfile { points } }`, {}, p.token)).myVolunteerProfile.points as number;

describe('§8 Points and hours', () => {
  it('10 points per confirmed hour', () => {
    expect(scheme.rules.pointsPerHour).toBe(10);
    expect(serviceAward(scheme, 1, 0).points).toBe(10);
    expect(serviceAward(scheme, 3.5, 0).points).toBe(35);
  });

  it('at most 8 hours credited per service', () => {
    expect(scheme.rules.maxCreditedHoursPerService).toBe(8);
    expect(serviceAward(scheme, 8, 0)).toMatchObject({ creditedHours: 8, points: 80 });
    expect(serviceAward(scheme, 12, 0)).toMatchObject({ reportedHours: 12, creditedHours: 8, points: 80 });
  });

  it('Hours an administrator enters count towards stars but earn no points', () => {
    expect(administratorAward(scheme, 20)).toMatchObject({ creditedHours: 20, points: 0 });
  });

  it('Stars come from lifetime confirmed hours: 100, 300, 600, 1,000 and 1,500 hours for one to five stars', () => {
    expect(scheme.rules.starThresholds).toEqual([100, 300, 600, 1000, 1500]);
    expect([0, 99, 100, 299, 300, 600, 999, 1000, 1499, 1500, 5000].map((h) => starsFor(scheme.rules, h))).toEqual([0, 0, 1, 1, 2, 3, 3, 4, 4, 5, 5]);
    expect(nextStarAt(scheme.rules, 450)).toBe(600);
    expect(nextStarAt(scheme.rules, 1500)).toBeNull();
  });

  it('Points are valid for 3 years', () => {
    expect(scheme.rules.pointValidityMonths).toBe(36);
  });
});

describe('§8 Points and hours, through the gateway', () => {
  it('10 points per confirmed hour, at most 8 hours credited per service', async () => {
    const v = await resident();
    await serve(v, 3);
    expect(await points(v)).toBe(30);
    await serve(v, 12);
    expect(await points(v)).toBe(30 + 80);
  });

  it('Moving points never makes them younger: points given within a household keep the expiry they had; only earning opens a fresh 3-year lot', async () => {
    clock.set(EARNED);
    const giver = await resident('HH-CONF-1');
    const receiver = await resident('HH-CONF-1');
    await serve(giver, 5);
    expect(await points(giver)).toBe(50);
    clock.set(new Date(EARNED.getTime() + 730 * DAY));
    ok(await city.query(`mutation($to: ID!, $n: Int!, $k: String!) { givePoints(toResidentId: $to, points: $n, idempotencyKey: $k) { points } }`, { to: receiver.id, n: 30, k: 'conf-gift-1' }, giver.token));
    expect([await points(giver), await points(receiver)]).toEqual([20, 30]);
    // the receiver earns 10 of their own the same day: a fresh lot
    await serve(receiver, 1);
    expect(await points(receiver)).toBe(40);
    clock.set(new Date(EARNED.getTime() + 3 * 365 * DAY - DAY));
    expect(await points(receiver)).toBe(40);
    clock.set(new Date(EARNED.getTime() + 3 * 366 * DAY));
    expect([await points(giver), await points(receiver)]).toEqual([0, 10]);
  });
});

describe('§8 Needs', () => {
  it('the requester confirms … or it is confirmed automatically after 72 hours', () => {
    expect(scheme.rules.autoConfirmHours).toBe(72);
  });

  it('a requester may attach points: the held escrow is paid to the volunteer on confirmation, on top of the service points', () => {
    expect(serviceAward(scheme, 2, 15)).toMatchObject({ points: 20, escrowPoints: 15 });
    expect(serviceAward(scheme, 2, 15).lines.at(-1)).toEqual({ label: 'total points', value: 35 });
  });
});
