import { randomUUID } from 'node:crypto';
import { CITY } from '../../infra/src/city';
import { makeIdNumber } from '@citypoints/kit';
import { SERVICE_HEADER, signForwardedCaller, signServiceCall } from '@citypoints/auth';
import { enterpriseInput, FixedClock, ok, seed, startCity, TEST_SUBGRAPH_SECRET, type TestCity } from '@citypoints/test-city';

const TOWN = '441900003';
const VILLAGE = '441900003001';
const codes = (r: { errors?: { extensions?: { code?: string } }[] }) => (r.errors ?? []).map((e) => e.extensions?.code);

/**
 * A write through the gateway is visible to the writer's next request in every subgraph. The
 * city runs without its workers, so no event is ever relayed: each subgraph that has not heard of
 * an entity must ask registry for it.
 */
describe('read-your-writes across subgraphs', () => {
  let city: TestCity;
  let admin: string;
  let officer: string;

  beforeAll(async () => {
    city = await startCity({ modules: CITY, workers: false, clock: new FixedClock(new Date('2026-03-10T02:00:00Z')), label: 'events_ryw' });
    admin = await city.token('CITY_ADMIN', { sub: 'admin-ryw' });
    officer = await city.token('EDUCATION_OFFICER', { sub: 'edu-ryw', division: TOWN });
  });
  afterAll(() => city.close());

  it('a resident registered a moment ago can apply for school, volunteer and read their civic card', async () => {
    const school = ok(
      await city.query(`mutation($i: UpsertSchoolInput!) { upsertSchool(input: $i) { id } }`, { i: { name: '东城第一小学', townCode: TOWN, seats: [{ year: 2026, grade: 'PRIMARY_1', seats: 3 }] } }, officer),
    ).upsertSchool.id;
    const parent = await seed(city).resident({ divisionCode: VILLAGE, hukou: 'MIGRANT' });
    const settlementRows = () => city.instances.settlement.dataSource.query(`SELECT id FROM settlement.residents WHERE id = $1`, [parent.id]);
    expect(await settlementRows()).toEqual([]);

    const applied = ok(
      await city.query(
        `mutation($i: SubmitSchoolApplicationInput!) { submitSchoolApplication(input: $i) { applicationNo status } }`,
        { i: { parentId: parent.id, childName: '王小明', childIdNumber: makeIdNumber('441900', '2020-03-15', 901), year: 2026, grade: 'PRIMARY_1', townCode: TOWN, preferences: [school], indicators: [] } },
        officer,
      ),
    ).submitSchoolApplication;
    expect(applied.status).toBe('SUBMITTED');

    const token = await city.token('RESIDENT', { sub: parent.id });
    const volunteer = ok(await city.query(`mutation($id: ID!) { registerVolunteer(residentId: $id) { hours points } }`, { id: parent.id }, token)).registerVolunteer;
    expect(volunteer).toEqual({ hours: 0, points: 0 });
    const card = ok(await city.query(`query($id: ID!) { civicCard(residentId: $id) { balance resident { id } } }`, { id: parent.id }, token)).civicCard;
    expect(card).toEqual({ balance: 0, resident: { id: parent.id } });

    // the projection took registry's state with registry's version, so the event that follows changes nothing
    const [row] = await city.instances.settlement.dataSource.query(`SELECT division_code, hukou, versions FROM settlement.residents WHERE id = $1`, [parent.id]);
    expect(row).toEqual({ division_code: VILLAGE, hukou: 'MIGRANT', versions: { identity: 1, place: 1, household: 1 } });
  });

  it("a department's cross-domain view of a resident registered a moment ago has their civic card", async () => {
    const r = await seed(city).resident({ divisionCode: VILLAGE, hukou: 'MIGRANT' });
    expect(await city.instances.civic.dataSource.query(`SELECT id FROM civic.residents WHERE id = $1`, [r.id])).toEqual([]);
    const view = ok(await city.query(`query($id: ID!) { resident(id: $id) { id civicCard { balance resident { id } } } }`, { id: r.id }, admin)).resident;
    expect(view).toEqual({ id: r.id, civicCard: { balance: 0, resident: { id: r.id } } });
  });

  it('an enterprise registered a moment ago has its credit checked, an organisation its indicator recorded', async () => {
    const s = seed(city);
    const enterprise = await s.enterprise({ divisionCode: TOWN });
    const check = ok(await city.query(`query($u: ID!) { creditCheck(uscc: $u, domain: GOVERNMENT_PROCUREMENT) { allowed status } }`, { u: enterprise.uscc }, admin)).creditCheck;
    expect(check).toEqual({ allowed: true, status: 'NORMAL' });

    const org = await s.organisation({ divisionCode: TOWN });
    const graded = ok(
      await city.query(
        `mutation($i: OrganisationIndicatorInput!) { recordOrganisationIndicator(input: $i) { points } }`,
        { i: { uscc: org.uscc, year: 2026, category: 'BASIC_WORK', points: 5, evidence: 'annual report', idempotencyKey: `ryw-${org.uscc}` } },
        admin,
      ),
    ).recordOrganisationIndicator;
    expect(graded.points).toBe(5);
  });

  it('answers NOT_FOUND only for what registry does not know either', async () => {
    const stranger = randomUUID();
    const token = await city.token('RESIDENT', { sub: stranger });
    expect(codes(await city.query(`mutation($id: ID!) { registerVolunteer(residentId: $id) { hours } }`, { id: stranger }, token))).toEqual(['NOT_FOUND']);
    const unregistered = enterpriseInput().uscc;
    const r = await city.query(`query($u: ID!) { creditCheck(uscc: $u, domain: GOVERNMENT_PROCUREMENT) { allowed } }`, { u: unregistered }, admin);
    expect(codes(r)).toEqual(['NOT_FOUND']);
  });

  it('refuses the internal lookup to anyone without a service identity, including a gateway-forwarded caller', async () => {
    const url = new URL('/internal/lookup', city.servers.registry.url);
    const plain = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ residents: [randomUUID()] }) });
    expect(plain.status).toBe(401);
    // a user's caller, as the gateway forwards it, is no service identity
    const forwarded = await signForwardedCaller(TEST_SUBGRAPH_SECRET, { sub: 'admin-ryw', roles: ['CITY_ADMIN'] });
    const asUser = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', [SERVICE_HEADER]: forwarded }, body: '{}' });
    expect(asUser.status).toBe(401);
    const resident = await seed(city).resident({ divisionCode: VILLAGE });
    const asService = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SERVICE_HEADER]: await signServiceCall(TEST_SUBGRAPH_SECRET, 'civic') },
      body: JSON.stringify({ residents: [resident.id] }),
    });
    expect(asService.status).toBe(200);
    const body = (await asService.json()) as { residents: { key: string; version: number; state: { nameMasked: string } }[] };
    expect(body.residents).toEqual([expect.objectContaining({ key: resident.id, version: 1 })]);
    expect(body.residents[0].state.nameMasked).toContain('*');
    // the gateway serves the public schema only; the path is not one of its routes
    const viaGateway = await fetch(new URL('/internal/lookup', city.gatewayUrl), { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` }, body: '{}' });
    expect(viaGateway.status).not.toBe(200);
  });
});
