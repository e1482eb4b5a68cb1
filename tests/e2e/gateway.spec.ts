import { registry } from '@citypoints/registry';
import { codes, ok, seed, startCity, type TestCity } from '@citypoints/test-city';
import { probe } from '../support/probe-subgraph';

describe('gateway', () => {
  let city: TestCity;
  let admin: string;
  beforeAll(async () => {
    city = await startCity({ modules: [registry, probe], label: 'gateway' });
    admin = await city.token('CITY_ADMIN');
  });
  afterAll(() => city.close());

  it('resolves an entity across subgraphs and forwards the verified caller', async () => {
    const r = await seed(city).resident({ name: '王小明' });
    const d = ok(await city.query(`query($id: ID!) { resident(id: $id) { name probeNote } }`, { id: r.id }, admin));
    expect(d.resident).toEqual({ name: '王小明', probeNote: `note for ${r.id} (signed-in)` });
  });

  it('limits query cost', async () => {
    const wide = `{ a: divisions { code parent { code parent { code parent { code } } } } b: divisions { code } }`;
    // within the root-field limit, over the cost limit: 80 × (1 + 50 × 15)
    const res = await city.query(`{ ${Array.from({ length: 80 }, (_, i) => `d${i}: divisions(parentCode: "441900") { code name level parent { code name parent { code name parent { code name parent { code name } } } } }`).join(' ')} }`, {}, admin);
    expect(codes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(res.errors![0].message).toMatch(/cost \d+ exceeds/);
    expect(ok(await city.query(wide, {}, admin)).b.length).toBeGreaterThan(0);
  });

  it('answers the other fields with partial data and an error when a subgraph is down', async () => {
    const r = await seed(city).resident();
    await city.stopSubgraph('registry');
    const res = await city.query(`query($id: ID!) { probeNotice(text: "still here") resident(id: $id) { id name } }`, { id: r.id }, admin);
    expect(res.data?.probeNotice).toBe('notice: still here');
    expect(res.data?.resident).toBeNull();
    expect(res.errors?.length).toBeGreaterThan(0);
  });
});
