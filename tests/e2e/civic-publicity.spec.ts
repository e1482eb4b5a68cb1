import { randomUUID } from 'node:crypto';
import { registry } from '@citypoints/registry';
import { civic } from '@citypoints/civic';
import { DAY, maskName } from '@citypoints/kit';
import { codes, eventually, FixedClock, ok, seed, startCity, type TestCity } from '@citypoints/test-city';

const VILLAGE = '441900006003';
const TOWN = '441900006';

/** docs/domain/04-civic-cards.md: an objection stops the publicity window's clock; other villagers see the masked name, the item and its points. */
describe('civic publicity through the gateway', () => {
  let city: TestCity;
  const clock = new FixedClock(new Date('2026-11-02T01:00:00Z'));
  beforeAll(async () => {
    city = await startCity({ modules: [registry, civic], workers: true, clock, label: 'civic_publicity_e2e' });
  });
  afterAll(() => city.close());

  async function villager() {
    const r = await seed(city).resident({ divisionCode: VILLAGE });
    await eventually(async () => (await city.instances.civic.dataSource.query('SELECT 1 FROM civic.residents WHERE id = $1', [r.id])).length > 0);
    return { ...r, token: await city.token('RESIDENT', { sub: r.id }) };
  }
  const clerk = (role: 'VILLAGE_REGISTRAR' | 'VILLAGE_REVIEWER' | 'PUBLICITY_CLERK' | 'TOWN_REVIEWER', division = VILLAGE) => city.token(role, { sub: `${role}-${randomUUID()}`, division });
  const FIELDS = `status points item { code } resident { name } evidence registeredBy publicisedUntil publicityRemainingSeconds`;

  it('pauses the window for an objection and resumes the days left after the dismissal; a neighbour sees only name, item and points', async () => {
    const subject = await villager();
    const neighbour = await villager();
    const [registrar, reviewer, publicityClerk, townReviewer] = [await clerk('VILLAGE_REGISTRAR'), await clerk('VILLAGE_REVIEWER'), await clerk('PUBLICITY_CLERK'), await clerk('TOWN_REVIEWER', TOWN)];
    const rec = ok(await city.query(`mutation($i: RegisterCivicRecordInput!) { registerCivicRecord(input: $i) { id } }`,
      { i: { residentId: subject.id, itemCode: 'HELP_NEIGHBOUR', occurredOn: '2026-11-01', evidence: '邻居证明', idempotencyKey: randomUUID() } }, registrar)).registerCivicRecord;
    ok(await city.query(`mutation($id: ID!) { reviewCivicRecord(id: $id, approve: true) { id } }`, { id: rec.id }, reviewer));
    ok(await city.query(`mutation($id: ID!) { publiciseCivicRecord(id: $id) { id } }`, { id: rec.id }, publicityClerk));
    const approveIt = () => city.query(`mutation($id: ID!) { approveCivicRecord(id: $id, approve: true) { status creditedPoints } }`, { id: rec.id }, townReviewer);

    const seen = ok(await city.query(`query($id: ID!) { civicRecord(id: $id) { ${FIELDS} } }`, { id: rec.id }, neighbour.token)).civicRecord;
    expect(seen).toMatchObject({ status: 'PUBLICISED', points: 3, item: { code: 'HELP_NEIGHBOUR' }, resident: { name: maskName(subject.name) }, evidence: null, registeredBy: null });

    clock.advance(4 * DAY);
    const objected = ok(await city.query(`mutation($id: ID!) { objectToCivicRecord(id: $id, reason: "没有这回事") { ${FIELDS} } }`, { id: rec.id }, neighbour.token)).objectToCivicRecord;
    expect(objected).toMatchObject({ status: 'OBJECTED', publicisedUntil: null, publicityRemainingSeconds: 86_400 });
    clock.advance(20 * DAY);
    expect(codes(await approveIt())).toEqual(['INVALID_STATE']);

    ok(await city.query(`mutation($id: ID!) { reviewCivicRecord(id: $id, approve: true, note: "经核实属实") { id } }`, { id: rec.id }, reviewer));
    clock.advance(DAY - 1000);
    expect(codes(await approveIt())).toEqual(['INVALID_STATE']);
    clock.advance(1000);
    expect(ok(await approveIt()).approveCivicRecord).toEqual({ status: 'APPROVED', creditedPoints: 3 });
    expect(ok(await city.query(`{ myCivicCard { balance } }`, {}, subject.token)).myCivicCard.balance).toBe(3);
  });
});
