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

  it('gathers the entity fetches of aliased root fields into one call per subgraph, each alias answered with its own entity', async () => {
    const rs = [await seed(city).resident({ name: '张甲' }), await seed(city).resident({ name: '李乙' }), await seed(city).resident({ name: '王丙' })];
    const probeFetches = async () => {
      const text = await (await fetch(city.gatewayUrl.replace(/\/graphql$/, '/metrics'))).text();
      const m = /citypoints_subgraph_fetch_duration_seconds_count\{subgraph="probe",outcome="ok"\} (\d+)/.exec(text);
      return m ? Number(m[1]) : 0;
    };
    const before = await probeFetches();
    const d = ok(await city.query(`{ ${rs.map((r, i) => `r${i}: resident(id: "${r.id}") { name probeNote }`).join(' ')} }`, {}, admin));
    expect(d).toEqual({
      r0: { name: '张甲', probeNote: `note for ${rs[0].id} (signed-in)` },
      r1: { name: '李乙', probeNote: `note for ${rs[1].id} (signed-in)` },
      r2: { name: '王丙', probeNote: `note for ${rs[2].id} (signed-in)` },
    });
    expect((await probeFetches()) - before).toBe(1);
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
