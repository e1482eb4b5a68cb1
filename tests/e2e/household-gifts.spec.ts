import { registry } from '@citypoints/registry';
import { volunteering } from '@citypoints/volunteering';
import { codes, eventually, seed, startCity, type TestCity } from '@citypoints/test-city';

/** Registry's household changes reach the time bank as events, and decide who may receive a gift. */
describe('household gifts follow registry', () => {
  let city: TestCity;
  beforeAll(async () => {
    city = await startCity({ modules: [registry, volunteering], workers: true, label: 'household_gifts' });
  });
  afterAll(() => city.close());

  it('refuses a gift outside the household until registry moves the receiver into it', async () => {
    const s = seed(city);
    const giver = await s.resident({ householdId: 'HH-GIFT-1' });
    const receiver = await s.resident();
    const token = await city.token('RESIDENT', { sub: giver.id });
    const give = (key: string) => city.query(`mutation($to: ID!, $k: String!) { givePoints(toResidentId: $to, points: 10, idempotencyKey: $k) { points } }`, { to: receiver.id, k: key }, token);

    await eventually(async () => codes(await give('before')).includes('FORBIDDEN'));

    const official = await city.token('TOWN_OFFICIAL', { division: '441900003' });
    const moved = await city.query(`mutation($id: ID!) { updateResident(id: $id, input: { householdId: "HH-GIFT-1" }) { householdId } }`, { id: receiver.id }, official);
    expect(moved.data?.updateResident.householdId).toBe('HH-GIFT-1');

    // same household now: the gift passes the household rule and meets the giver's empty balance
    await eventually(async () => codes(await give('after')).includes('INSUFFICIENT_POINTS'));
  });
});
