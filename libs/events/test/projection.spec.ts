import { randomUUID } from 'node:crypto';
import { createTestDatabase, DataSource, openSubgraphDataSource, TestDatabase } from '@citypoints/db';
import { defineProjection, REGISTRY_TOPICS, type DomainEvent, type ResidentState, type ResidentStateV1 } from '../src';

const groups = {
  place: { division_code: (p: ResidentState) => p.divisionCode },
  household: { household_id: (p: ResidentState) => p.householdId },
};

describe('defineProjection', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const projection = defineProjection({
    schema: 'consumer',
    table: 'residents',
    keyColumn: 'id',
    keyType: 'uuid',
    sources: [
      { contract: REGISTRY_TOPICS.residentRegistered, key: (p) => p.id, groups },
      { contract: REGISTRY_TOPICS.residentChanged, key: (p) => p.id, groups },
    ],
  });

  beforeAll(async () => {
    db = await createTestDatabase('events_projection');
    ds = await openSubgraphDataSource({ url: db.url, schema: 'consumer', entities: [], migrations: [] });
    await ds.query(`CREATE TABLE consumer.residents (id uuid PRIMARY KEY, division_code text, household_id text, versions jsonb NOT NULL DEFAULT '{}')`);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db.drop();
  });

  const state = (id: string, divisionCode: string, householdId: string | null): ResidentStateV1 => ({
    id,
    nameMasked: '李*',
    idNumberMasked: '4419**********1234',
    birthDate: '1990-01-01',
    hukou: 'MIGRANT',
    divisionCode,
    householdId,
  });
  const event = (topic: string, version: number, payload: ResidentStateV1): DomainEvent => ({
    id: randomUUID(),
    topic,
    aggregateId: payload.id,
    version,
    schemaVersion: 1,
    payload: payload as unknown as Record<string, unknown>,
    createdAt: new Date().toISOString(),
    source: 'registry',
  });
  const row = async (id: string) => (await ds.query(`SELECT division_code, household_id, versions FROM consumer.residents WHERE id = $1`, [id]))[0];

  it('keeps the highest version per group whatever the arrival order, and a repeat changes nothing', async () => {
    const id = randomUUID();
    const history = [
      event('registry.resident.registered', 1, state(id, '441900001001', null)),
      event('registry.resident.changed', 2, state(id, '441900001001', 'H1')),
      event('registry.resident.changed', 3, state(id, '441900002002', 'H1')),
    ];
    // newest first, then the older ones, then a repeat of the middle one
    for (const e of [history[2], history[0], history[1], history[1]]) {
      await ds.transaction((m) => projection.handlers[e.topic](m, e));
    }
    expect(await row(id)).toEqual({ division_code: '441900002002', household_id: 'H1', versions: { place: 3, household: 3 } });
    expect(await projection.versions(ds.manager, id)).toEqual({ place: 3, household: 3 });
  });

  it('says whether a fact moved the row', async () => {
    const id = randomUUID();
    expect(await projection.apply(ds.manager, REGISTRY_TOPICS.residentChanged, state(id, '441900001001', 'H2'), 2)).toBe(true);
    expect(await projection.apply(ds.manager, REGISTRY_TOPICS.residentRegistered, state(id, '441900009009', null), 1)).toBe(false);
    expect(await projection.apply(ds.manager, REGISTRY_TOPICS.residentChanged, state(id, '441900001001', 'H2'), 2)).toBe(false);
    expect(await row(id)).toMatchObject({ division_code: '441900001001', household_id: 'H2' });
  });

  it('refuses a fact without a producer version and a group fed by two streams', async () => {
    await expect(projection.apply(ds.manager, REGISTRY_TOPICS.residentChanged, state(randomUUID(), '441900001001', null), 0)).rejects.toThrow(/version/);
    expect(() =>
      defineProjection({
        schema: 'consumer',
        table: 'residents',
        keyColumn: 'id',
        keyType: 'uuid',
        sources: [
          { contract: REGISTRY_TOPICS.residentChanged, key: (p) => p.id, groups: { household: { household_id: (p: ResidentState) => p.householdId } } },
          { contract: REGISTRY_TOPICS.householdJoined, key: (p) => p.residentId, groups: { household: { household_id: (p) => p.householdId } } },
        ],
      }),
    ).toThrow(/fed by/);
  });
});
