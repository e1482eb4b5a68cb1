import { createTestDatabase, DataSource, openSubgraphDataSource, TestDatabase } from '@citypoints/db';
import { consumerQueueName, consumersFor, eventsMigrationSql, publish, TOPIC_PATTERN } from '../src';

describe('routes', () => {
  it('sends each topic to the consumers subscribed to its prefix', () => {
    expect(consumersFor('registry.resident.registered')).toEqual(['settlement', 'civic', 'volunteering']);
    expect(consumersFor('registry.household.moved')).toEqual(['settlement', 'civic', 'volunteering']);
    expect(consumersFor('registry.enterprise.deregistered')).toEqual(['enterprise-credit', 'social-organisations']);
    expect(consumersFor('registry.membership.joined')).toEqual(['enterprise-credit', 'social-organisations']);
    expect(consumersFor('registry.organisation.registered')).toEqual(['social-organisations']);
    expect(consumersFor('enterprise-credit.status.changed')).toEqual(['social-organisations']);
    expect(consumersFor('registry.division.renamed')).toEqual([]);
    expect(consumerQueueName('enterprise-credit')).toBe('events.enterprise-credit');
  });

  it('accepts only <subgraph>.<entity>.<verb> topics', () => {
    expect(TOPIC_PATTERN.test('registry.resident.registered')).toBe(true);
    expect(TOPIC_PATTERN.test('enterprise-credit.status.changed')).toBe(true);
    expect(TOPIC_PATTERN.test('registry.resident')).toBe(false);
    expect(TOPIC_PATTERN.test('Registry.Resident.Registered')).toBe(false);
    expect(TOPIC_PATTERN.test('registry.resident.registered.extra')).toBe(false);
  });
});

describe('publish', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('events_publish');
    ds = await openSubgraphDataSource({ url: db.url, schema: 'registry', entities: [], migrations: [] });
    for (const sql of eventsMigrationSql('registry').up) await ds.query(sql);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db.drop();
  });

  it('writes the event in the caller transaction and returns its id', async () => {
    const id = await ds.transaction((m) =>
      publish(m, 'registry', { topic: 'registry.resident.registered', aggregateId: 'r1', payload: { a: 1 } }),
    );
    const [row] = await ds.query(`SELECT * FROM registry.outbox WHERE id = $1`, [id]);
    expect(row).toMatchObject({ topic: 'registry.resident.registered', aggregate_id: 'r1', payload: { a: 1 }, relayed_at: null });
  });

  it('refuses a manager outside a transaction and a malformed topic', async () => {
    await expect(publish(ds.manager, 'registry', { topic: 'registry.resident.registered', aggregateId: 'r', payload: {} })).rejects.toThrow(
      /open transaction/,
    );
    await expect(
      ds.transaction((m) => publish(m, 'registry', { topic: 'resident-registered', aggregateId: 'r', payload: {} })),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('has down statements that drop both tables', () => {
    expect(eventsMigrationSql('civic').down).toEqual(['DROP TABLE IF EXISTS "civic"."inbox"', 'DROP TABLE IF EXISTS "civic"."outbox"']);
  });
});
