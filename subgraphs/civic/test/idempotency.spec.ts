import { randomUUID } from 'node:crypto';
import { codes, eventually, FixedClock, ok, startCity, type TestCity } from '@citypoints/test-city';
import { registry } from '@citypoints/registry';
import { civic } from '@citypoints/civic';
import { clerks, projectedResident, register } from './helpers';

const VILLAGE = '441900119001';
const NEIGHBOUR_VILLAGE = '441900119002';

/** docs/domain/09-access.md: idempotency keys are scoped to the caller, and a replay is authorised like a first request. */
describe('caller-scoped idempotency keys of records and green collections', () => {
  let city: TestCity;
  let admin: string;
  const clock = new FixedClock(new Date('2026-08-03T02:00:00Z'));
  beforeAll(async () => {
    city = await startCity({ modules: [registry, civic], workers: true, clock, label: 'civic_keys' });
    admin = await city.token('CITY_ADMIN', { sub: 'admin-1' });
  });
  afterAll(() => city.close());

  const recordCount = async (key: string) => (await city.instances.civic.dataSource.query(`SELECT count(*)::int AS n FROM civic.records WHERE idempotency_key = $1`, [key]))[0].n;

  it("never answers a registrar with another registrar's record under the same key", async () => {
    const r1 = await projectedResident(city, VILLAGE);
    const r2 = await projectedResident(city, VILLAGE);
    const a = await clerks(city, VILLAGE);
    const b = await clerks(city, VILLAGE);
    const elsewhere = await clerks(city, NEIGHBOUR_VILLAGE);
    const key = randomUUID();
    const first = ok(await register(city, a.registrar, r1.id, 'HELP_NEIGHBOUR', '2026-08-01', key)).registerCivicRecord;

    expect(ok(await register(city, a.registrar, r1.id, 'HELP_NEIGHBOUR', '2026-08-01', key)).registerCivicRecord.id).toBe(first.id);
    expect(codes(await register(city, a.registrar, r1.id, 'ELDERLY_CARE', '2026-08-01', key))).toEqual(['CONFLICT']);
    // the same key from another registrar is that registrar's own request
    const theirs = ok(await register(city, b.registrar, r2.id, 'ELDERLY_CARE', '2026-08-02', key)).registerCivicRecord;
    expect(theirs.id).not.toBe(first.id);
    expect(theirs).toMatchObject({ resident: { id: r2.id }, item: { code: 'ELDERLY_CARE' }, registeredBy: expect.not.stringMatching(first.registeredBy) });
    // a replay of the first request by a registrar who may not register it is refused, not answered
    const replayed = await register(city, elsewhere.registrar, r1.id, 'HELP_NEIGHBOUR', '2026-08-01', key);
    expect(codes(replayed)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(replayed)).not.toContain(first.id);
    expect(await recordCount(key)).toBe(2);
  });

  it('refuses the replay of a registrar who lost the resident, as it would refuse the first request', async () => {
    const r = await projectedResident(city, VILLAGE);
    const a = await clerks(city, VILLAGE);
    const key = randomUUID();
    ok(await register(city, a.registrar, r.id, 'HELP_NEIGHBOUR', '2026-08-01', key));
    ok(await city.query(`mutation($id: ID!) { updateResident(id: $id, input: { divisionCode: "${NEIGHBOUR_VILLAGE}" }) { id } }`, { id: r.id }, admin));
    await eventually(async () => (await city.instances.civic.dataSource.query(`SELECT 1 FROM civic.residents WHERE id = $1 AND division_code = $2`, [r.id, NEIGHBOUR_VILLAGE])).length > 0);
    expect(codes(await register(city, a.registrar, r.id, 'HELP_NEIGHBOUR', '2026-08-01', key))).toEqual(['FORBIDDEN']);
  });

  it("keeps green collections apart per registrar, and refuses another village's registrar replaying a key", async () => {
    const r = await projectedResident(city, VILLAGE);
    const a = await clerks(city, VILLAGE);
    const b = await clerks(city, VILLAGE);
    const elsewhere = await clerks(city, NEIGHBOUR_VILLAGE);
    const key = randomUUID();
    const credit = (token: string, grams: number) =>
      city.query(`mutation($r: ID!, $k: String!, $g: Int!) { creditRecyclables(residentId: $r, material: "PAPER", grams: $g, idempotencyKey: $k) { balance } }`, { r: r.id, k: key, g: grams }, token);
    expect(ok(await credit(a.registrar, 2500)).creditRecyclables.balance).toBe(3);
    expect(ok(await credit(a.registrar, 2500)).creditRecyclables.balance).toBe(3);
    expect(codes(await credit(elsewhere.registrar, 2500))).toEqual(['FORBIDDEN']);
    expect(ok(await credit(b.registrar, 5000)).creditRecyclables.balance).toBe(9);
    expect(codes(await credit(a.registrar, 5000))).toEqual(['CONFLICT']);
    const rows = await city.instances.civic.dataSource.query(`SELECT count(*)::int AS n FROM civic.green_collections WHERE idempotency_key = $1`, [key]);
    expect(rows).toEqual([{ n: 2 }]);
  });
});
