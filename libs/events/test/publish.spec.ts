import { createTestDatabase, DataSource, openSubgraphDataSource, TestDatabase } from '@citypoints/db';
import { z } from 'zod';
import {
  consumerQueueName,
  consumersOf,
  defineTopic,
  eventsMigrationSql,
  publish,
  publishFact,
  publishFacts,
  REGISTRY_TOPICS,
  TOPIC_PATTERN,
} from '../src';
import { eventsTablesSql } from './helpers';

describe('subscriptions', () => {
  it('sends each topic to the consumers that declared it, exactly or by a prefix ending in .*', () => {
    const subs = [
      { consumer: 'settlement', topics: ['registry.resident.registered', 'registry.resident.changed'] },
      { consumer: 'civic', topics: ['registry.resident.*'] },
      { consumer: 'social-organisations', topics: ['enterprise-credit.*', 'registry.membership.added'] },
    ];
    expect(consumersOf('registry.resident.registered', subs)).toEqual(['settlement', 'civic']);
    expect(consumersOf('registry.resident.renamed', subs)).toEqual(['civic']);
    expect(consumersOf('enterprise-credit.status.changed', subs)).toEqual(['social-organisations']);
    expect(consumersOf('registry.membership.removed', subs)).toEqual([]);
    expect(consumersOf('registry.division.renamed', subs)).toEqual([]);
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
    for (const sql of eventsTablesSql('registry')) await ds.query(sql);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db.drop();
  });

  it('writes the event in the caller transaction and returns its id', async () => {
    const id = await ds.transaction((m) =>
      publish(m, 'registry', { topic: 'registry.person.registered', aggregateId: 'r1', payload: { a: 1 } }),
    );
    const [row] = await ds.query(`SELECT * FROM registry.outbox WHERE id = $1`, [id]);
    expect(row).toMatchObject({ topic: 'registry.person.registered', aggregate_id: 'r1', payload: { a: 1 }, relayed_at: null });
  });

  it('refuses a manager outside a transaction and a malformed topic', async () => {
    await expect(publish(ds.manager, 'registry', { topic: 'registry.resident.registered', aggregateId: 'r', payload: {} })).rejects.toThrow(
      /open transaction/,
    );
    await expect(
      ds.transaction((m) => publish(m, 'registry', { topic: 'resident-registered', aggregateId: 'r', payload: {} })),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('numbers the events of each aggregate 1, 2, 3 within its stream', async () => {
    const t = defineTopic('registry.thing.made', 1, z.object({ n: z.number() }));
    const u = defineTopic('registry.thing.changed', 2, z.object({ n: z.number() }));
    const other = defineTopic('registry.gadget.made', 1, z.object({ n: z.number() }));
    await ds.transaction(async (m) => {
      await publishFact(m, 'registry', t, 'a', { n: 1 });
      await publishFact(m, 'registry', u, 'a', { n: 2 });
      await publishFact(m, 'registry', t, 'b', { n: 1 });
      await publishFact(m, 'registry', other, 'a', { n: 1 });
    });
    await ds.transaction((m) => publishFacts(m, 'registry', u, [{ aggregateId: 'a', payload: { n: 3 } }, { aggregateId: 'c', payload: { n: 1 } }]));
    const rows: { topic: string; aggregate_id: string; version: string; schema_version: number }[] = await ds.query(
      `SELECT topic, aggregate_id, version, schema_version FROM registry.outbox WHERE topic LIKE 'registry.thing.%' OR topic LIKE 'registry.gadget.%' ORDER BY aggregate_id, topic, version`,
    );
    expect(rows.map((r) => [r.aggregate_id, r.topic, Number(r.version), r.schema_version])).toEqual([
      ['a', 'registry.gadget.made', 1, 1],
      ['a', 'registry.thing.changed', 2, 2],
      ['a', 'registry.thing.changed', 3, 2],
      ['a', 'registry.thing.made', 1, 1],
      ['b', 'registry.thing.made', 1, 1],
      ['c', 'registry.thing.changed', 1, 2],
    ]);
  });

  it('refuses a payload that breaks its contract', async () => {
    await expect(
      ds.transaction((m) => publishFact(m, 'registry', REGISTRY_TOPICS.residentRegistered, 'x', { id: 'not-a-uuid' } as never)),
    ).rejects.toThrow(/malformed payload/);
  });

  it('has down statements that drop both tables', () => {
    expect(eventsMigrationSql('civic').down).toEqual(['DROP TABLE IF EXISTS "civic"."inbox"', 'DROP TABLE IF EXISTS "civic"."outbox"']);
  });
});
