import { startSubgraphServer, type RunningServer } from '@citypoints/federation';
import { eventually, seed, startCity, TEST_SUBGRAPH_SECRET, type TestCity } from '@citypoints/test-city';
import { registry } from '@citypoints/registry';
import { civic } from '@citypoints/civic';

/**
 * A subgraph's server goes away: the gateway answers the other subgraphs' fields with partial
 * data and an error naming the missing service; when the server is back on its address, full
 * answers resume without the gateway being restarted.
 */
describe('a subgraph down and back', () => {
  let city: TestCity;
  let restarted: RunningServer | undefined;

  beforeAll(async () => {
    city = await startCity({ modules: [registry, civic], workers: true, label: 'faults_subgraph' });
  });
  afterAll(async () => {
    await restarted?.close();
    await city.close();
  });

  it('answers partially while civic is down, naming it, and fully once it is back', async () => {
    const resident = await seed(city).resident();
    const admin = await city.token('CITY_ADMIN', { sub: 'admin-faults' });
    const query = `query($id: ID!) { resident(id: $id) { name civicCard { balance } } }`;
    // civic issues the card once registry's event has brought the resident
    const full = await eventually(async () => {
      const r = await city.query(query, { id: resident.id }, admin);
      return r.errors?.length || !r.data?.resident?.civicCard ? null : r.data;
    }, 30_000);
    expect(full).toEqual({ resident: { name: resident.name, civicCard: { balance: 0 } } });

    const port = city.servers.civic.port;
    await city.stopSubgraph('civic');
    const partial = await city.query(query, { id: resident.id }, admin);
    expect(partial.data?.resident?.name).toBe(resident.name);
    expect(partial.data?.resident?.civicCard ?? null).toBeNull();
    expect(partial.errors?.length).toBeGreaterThan(0);
    expect(partial.errors!.map((e) => [e.message, e.extensions?.code])).toContainEqual(['subgraph civic is unavailable', 'SERVICE_UNAVAILABLE']);

    const inst = city.instances.civic;
    restarted = await startSubgraphServer({ name: 'civic', schema: inst.federated.schema, port, subgraphSecret: TEST_SUBGRAPH_SECRET, ready: inst.ready, runtime: inst.runtime });
    const again = await eventually(async () => {
      const r = await city.query(query, { id: resident.id }, admin);
      return r.errors?.length ? null : r.data;
    }, 30_000);
    expect(again.resident).toEqual({ name: resident.name, civicCard: { balance: 0 } });
  });
});
