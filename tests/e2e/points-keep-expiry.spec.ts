import { registry } from '@citypoints/registry';
import { volunteering } from '@citypoints/volunteering';
import { DAY, HOUR } from '@citypoints/kit';
import { eventually, FixedClock, ok, seed, startCity, type TestCity } from '@citypoints/test-city';

/**
 * Volunteer points are valid three years from when they were earned; moving them — a gift inside
 * the household, an escrow returned — never makes them younger (docs/domain/08-volunteering.md).
 */
describe('moved points keep their expiry, through the gateway', () => {
  let city: TestCity;
  let clock: FixedClock;
  const EARNED = new Date('2026-03-02T00:00:00Z');

  beforeAll(async () => {
    clock = new FixedClock(EARNED);
    city = await startCity({ modules: [registry, volunteering], workers: true, clock, label: 'points_keep_expiry' });
  });
  afterAll(() => city.close());

  async function resident(householdId?: string) {
    const r = await seed(city).resident(householdId ? { householdId } : {});
    await eventually(async () => {
      const rows = await city.instances.volunteering.dataSource.query(`SELECT household_id FROM volunteering.residents WHERE id = $1 AND division_code IS NOT NULL`, [r.id]);
      return rows.length === 1 && rows[0].household_id === (householdId ?? null);
    });
    return { ...r, token: await city.token('RESIDENT', { sub: r.id }) };
  }
  type Person = Awaited<ReturnType<typeof resident>>;

  const NEED = 'id status escrowPoints';
  let keys = 0;
  async function post(requester: Person, escrowPoints: number) {
    const input = {
      category: 'MUTUAL_AID',
      title: '陪同老人就医',
      divisionCode: requester.divisionCode,
      escrowPoints,
      idempotencyKey: `need-${++keys}`,
      windowStart: new Date(clock.now().getTime() + HOUR).toISOString(),
      windowEnd: new Date(clock.now().getTime() + 5 * HOUR).toISOString(),
    };
    return ok(await city.query(`mutation($i: PostNeedInput!) { postNeed(input: $i) { ${NEED} } }`, { i: input }, requester.token)).postNeed;
  }
  const act = (p: Person, mutation: string, vars: Record<string, unknown>, args = '') =>
    city.query(`mutation($id: ID!${args}) { ${mutation} { ${NEED} } }`, vars, p.token).then(ok);

  /** a full, confirmed service: the volunteer earns hours × 10 points, now */
  async function earn(v: Person, hours: number) {
    ok(await city.query(`mutation($id: ID!) { registerVolunteer(residentId: $id, skills: ["陪护"]) { registered } }`, { id: v.id }, v.token));
    const requester = await resident();
    const need = await post(requester, 0);
    await act(v, 'takeNeed(needId: $id, role: PRIMARY)', { id: need.id });
    await act(v, 'startService(needId: $id)', { id: need.id });
    await act(v, 'completeService(needId: $id, hours: $h)', { id: need.id, h: hours }, ', $h: Float!');
    await act(requester, 'confirmService(needId: $id, rating: 5)', { id: need.id });
  }
  const points = async (p: Person) => ok(await city.query(`{ myVolunteerProfile { points } }`, {}, p.token)).myVolunteerProfile.points as number;
  const give = (from: Person, to: Person, n: number, key: string) =>
    city.query(`mutation($to: ID!, $n: Int!, $k: String!) { givePoints(toResidentId: $to, points: $n, idempotencyKey: $k) { points } }`, { to: to.id, n, k: key }, from.token).then(ok);

  it('a gift within a household and a returned escrow keep the expiry the points were earned with', async () => {
    const giver = await resident('HH-KEEP-1');
    const receiver = await resident('HH-KEEP-1');
    await earn(giver, 5);
    expect(await points(giver)).toBe(50);

    // two years later the giver passes 30 on; they are a year from expiry, not three
    clock.set(new Date(EARNED.getTime() + 730 * DAY));
    await give(giver, receiver, 30, 'gift-1');
    expect(await points(receiver)).toBe(30);
    expect(await points(giver)).toBe(20);

    // the giver holds 20 in a need's escrow and cancels it: they come back as old as they were
    const need = await post(giver, 20);
    expect(await points(giver)).toBe(0);
    await act(giver, 'cancelNeed(needId: $id)', { id: need.id });
    expect(await points(giver)).toBe(20);

    // the day before three years are up everything is still spendable ...
    clock.set(new Date(EARNED.getTime() + 3 * 365 * DAY - DAY));
    expect(await points(receiver)).toBe(30);
    expect(await points(giver)).toBe(20);

    // ... and once the earning lot expires, so do the gift and the returned escrow
    clock.set(new Date(EARNED.getTime() + 3 * 366 * DAY));
    expect(await points(receiver)).toBe(0);
    expect(await points(giver)).toBe(0);

    // and the receiver cannot pass them back to make them young again
    const back = await city.query(`mutation($to: ID!, $k: String!) { givePoints(toResidentId: $to, points: 1, idempotencyKey: $k) { points } }`, { to: giver.id, k: 'gift-back' }, receiver.token);
    expect(back.errors?.[0]?.extensions?.code).toBe('INSUFFICIENT_POINTS');
  });
});
