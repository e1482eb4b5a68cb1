import { randomBytes, randomUUID } from 'node:crypto';
import { createTestDatabase, DataSource, EntityManager, openSubgraphDataSource, TestDatabase } from '@citypoints/db';
import { createQueue, JobQueue, QueueConnection } from '@citypoints/jobs';
import {
  consumerQueueName,
  DomainEvent,
  EventConsumer,
  EventOutcome,
  OutboxRelay,
  publish,
  SubscriptionStore,
} from '../src';
import { eventsTablesSql, waitFor } from './helpers';

const redisUrl = process.env.CITYPOINTS_TEST_REDIS_URL;
const BACKENDS = [
  { kind: 'redis' as const, available: !!redisUrl, label: redisUrl ? 'redis' : 'redis (skipped: CITYPOINTS_TEST_REDIS_URL is not set)' },
  { kind: 'postgres' as const, available: true, label: 'postgres' },
];
// a topic without a contract: these tests are about delivery, not payloads
const REGISTERED = 'registry.person.registered';

describe.each(BACKENDS)('outbox → relay → inbox on $label', ({ kind, available }) => {
  const maybe = available ? it : it.skip;
  let db: TestDatabase;
  let registry: DataSource;
  let settlement: DataSource;
  let conn: QueueConnection;
  let prefix: string;
  let consumer: EventConsumer;
  let settlementQueue: JobQueue<DomainEvent, EventOutcome>;
  const calls = new Map<string, number>();
  const failOnce = new Set<string>();

  const register = (m: EntityManager, name: string) =>
    (async () => {
      const id = randomUUID();
      await m.query(`INSERT INTO registry.residents (id, name) VALUES ($1, $2)`, [id, name]);
      const eventId = await publish(m, 'registry', { topic: REGISTERED, aggregateId: id, payload: { name } });
      return { id, eventId };
    })();
  const registerCommitted = (name: string) => registry.transaction((m) => register(m, name));
  const applied = async (residentId: string): Promise<number> => {
    const [{ n }] = await settlement.query(`SELECT count(*)::int AS n FROM settlement.applicants WHERE resident_id = $1`, [
      residentId,
    ]);
    return n;
  };
  const waitApplied = (residentId: string) => waitFor(`resident ${residentId} applied`, async () => ((await applied(residentId)) > 0 ? true : undefined));
  const outcomeOf = (jobId: string) =>
    waitFor(`job ${jobId} finished`, async () => {
      const job = await settlementQueue.getJob(jobId);
      return job?.finishedOn ? (job.returnvalue as EventOutcome) : undefined;
    });
  /** an event of the topic put on settlement's queue as if relayed (no outbox row behind it); its id */
  const deliverDirectly = async (topic: string, aggregateId: string): Promise<string> => {
    const id = randomUUID();
    await settlementQueue.add(topic, { id, topic, aggregateId, version: 1, schemaVersion: 1, payload: {}, createdAt: new Date().toISOString(), source: 'registry' }, { jobId: id });
    return id;
  };
  const newRelay = () =>
    new OutboxRelay({ dataSource: registry, schema: 'registry', connection: conn, pollMs: 50, prefix, jobOptions: { backoff: { type: 'fixed', delay: 50 } } });

  beforeAll(async () => {
    if (!available) return;
    db = await createTestDatabase('events');
    registry = await openSubgraphDataSource({ url: db.url, schema: 'registry', entities: [], migrations: [] });
    settlement = await openSubgraphDataSource({ url: db.url, schema: 'settlement', entities: [], migrations: [] });
    for (const sql of eventsTablesSql('registry')) await registry.query(sql);
    for (const sql of eventsTablesSql('settlement')) await settlement.query(sql);
    await registry.query(`CREATE TABLE registry.residents (id uuid PRIMARY KEY, name text NOT NULL)`);
    // no unique key on purpose: a second application would show as a second row
    await settlement.query(`CREATE TABLE settlement.applicants (resident_id uuid NOT NULL, name text NOT NULL)`);

    conn = kind === 'redis' ? { kind, url: redisUrl! } : { kind, url: db.url, schema: 'bullmq' };
    prefix = `cptest-${randomBytes(4).toString('hex')}`;
    settlementQueue = createQueue<DomainEvent, EventOutcome>(consumerQueueName('settlement'), conn, { prefix });
    consumer = new EventConsumer({
      dataSource: settlement,
      schema: 'settlement',
      consumer: 'settlement',
      connection: conn,
      prefix,
      handlers: {
        [REGISTERED]: async (m, event) => {
          calls.set(event.aggregateId, (calls.get(event.aggregateId) ?? 0) + 1);
          await m.query(`INSERT INTO settlement.applicants (resident_id, name) VALUES ($1, $2)`, [event.aggregateId, event.payload.name]);
          if (failOnce.delete(event.aggregateId)) throw new Error('handler failed after writing');
        },
      },
    });
    await consumer.start();
    // two more consumers that registered their subscription once and are not running now
    const store = new SubscriptionStore(conn, prefix);
    await store.register({ consumer: 'civic', topics: [REGISTERED] });
    await store.register({ consumer: 'volunteering', topics: ['registry.person.*'] });
    await store.close();
  });

  afterAll(async () => {
    if (!available) return;
    await consumer.stop();
    for (const c of ['settlement', 'civic', 'volunteering']) {
      const q = c === 'settlement' ? settlementQueue : createQueue(consumerQueueName(c), conn, { prefix });
      await q.obliterate({ force: true });
      await q.close();
    }
    await registry.destroy();
    await settlement.destroy();
    await db.drop();
  });

  maybe('delivers an event committed with its change and applies it once, on the queue of every subscriber', async () => {
    const { id, eventId } = await registerCommitted('Li Wei');
    const relay = newRelay();
    try {
      expect(await relay.relayOnce()).toBe(1);
      expect(await relay.relayOnce()).toBe(0);
    } finally {
      await relay.stop();
    }
    await waitApplied(id);
    expect(await outcomeOf(eventId)).toBe('applied');
    expect(await applied(id)).toBe(1);

    for (const c of ['civic', 'volunteering']) {
      const q = createQueue(consumerQueueName(c), conn, { prefix });
      expect((await q.getJob(eventId))?.data).toMatchObject({ id: eventId, topic: REGISTERED, aggregateId: id, version: 1, schemaVersion: 1, source: 'registry' });
      await q.close();
    }
    const [row] = await registry.query(`SELECT relayed_at FROM registry.outbox WHERE id = $1`, [eventId]);
    expect(row.relayed_at).toBeInstanceOf(Date);
  });

  maybe('never delivers an event whose transaction rolled back', async () => {
    let rolledBack = '';
    await expect(
      registry.transaction(async (m) => {
        rolledBack = (await register(m, 'Rolled Back')).id;
        throw new Error('validation failed later in the mutation');
      }),
    ).rejects.toThrow('validation failed');
    const [{ n }] = await registry.query(`SELECT count(*)::int AS n FROM registry.outbox WHERE aggregate_id = $1`, [rolledBack]);
    expect(n).toBe(0);

    const marker = await registerCommitted('Marker');
    const relay = newRelay();
    try {
      expect(await relay.relayOnce()).toBe(1);
    } finally {
      await relay.stop();
    }
    await waitApplied(marker.id);
    expect(await applied(rolledBack)).toBe(0);
  });

  maybe('a process that died after commit but before relaying still gets its event delivered, once', async () => {
    const { id, eventId } = await registerCommitted('Crash Before Relay');
    // the first process had its relay but was killed before the relay ran
    await newRelay().stop();
    const [row] = await registry.query(`SELECT relayed_at FROM registry.outbox WHERE id = $1`, [eventId]);
    expect(row.relayed_at).toBeNull();

    const restarted = newRelay();
    restarted.start();
    try {
      await waitApplied(id);
      const marker = await registerCommitted('Marker after restart');
      await waitApplied(marker.id);
    } finally {
      await restarted.stop();
    }
    expect(await applied(id)).toBe(1);
  });

  maybe('relaying the same row again (died between add and mark) applies it once', async () => {
    const { id, eventId } = await registerCommitted('Relayed Twice');
    const relay = newRelay();
    const unmark = () => registry.query(`UPDATE registry.outbox SET relayed_at = NULL WHERE id = $1`, [eventId]);
    try {
      expect(await relay.relayOnce()).toBe(1);
      await waitApplied(id);

      // the mark was lost: sent again while the first job is still kept, the job id absorbs it
      await unmark();
      expect(await relay.relayOnce()).toBe(1);

      // sent again after the kept job is gone: a new job, which the inbox absorbs
      await settlementQueue.remove(eventId);
      await unmark();
      expect(await relay.relayOnce()).toBe(1);
      expect(await outcomeOf(eventId)).toBe('duplicate');
    } finally {
      await relay.stop();
    }
    expect(await applied(id)).toBe(1);
    expect(calls.get(id)).toBe(1);
  });

  maybe('the same event delivered twice to the consumer takes effect once', async () => {
    const { id, eventId } = await registerCommitted('Delivered Twice');
    const [row] = await registry.query(`SELECT created_at FROM registry.outbox WHERE id = $1`, [eventId]);
    const event: DomainEvent = {
      id: eventId,
      topic: REGISTERED,
      aggregateId: id,
      version: 1,
      schemaVersion: 1,
      payload: { name: 'Delivered Twice' },
      createdAt: row.created_at.toISOString(),
      source: 'registry',
    };
    await settlementQueue.add(REGISTERED, event, { jobId: `${eventId}-first` });
    await settlementQueue.add(REGISTERED, event, { jobId: `${eventId}-second` });
    const outcomes = [await outcomeOf(`${eventId}-first`), await outcomeOf(`${eventId}-second`)].sort();
    expect(outcomes).toEqual(['applied', 'duplicate']);
    expect(await applied(id)).toBe(1);
    expect(calls.get(id)).toBe(1);
  });

  maybe('retries a failing handler without keeping its partial writes, and ignores unknown topics', async () => {
    const { id, eventId } = await registerCommitted('Fails Once');
    failOnce.add(id);
    const relay = newRelay();
    try {
      await relay.relayOnce();
    } finally {
      await relay.stop();
    }
    expect(await outcomeOf(eventId)).toBe('applied');
    expect(calls.get(id)).toBe(2);
    expect(await applied(id)).toBe(1);

    const unknownId = await deliverDirectly('registry.person.renamed', id);
    expect(await outcomeOf(unknownId)).toBe('ignored');
  });

  maybe('ignores a topic named after what every object inherits, and records nothing of it', async () => {
    for (const topic of ['constructor', 'toString', '__proto__']) {
      const eventId = await deliverDirectly(topic, randomUUID());
      expect({ topic, outcome: await outcomeOf(eventId) }).toEqual({ topic, outcome: 'ignored' });
      expect(await settlement.query(`SELECT 1 FROM settlement.inbox WHERE event_id = $1`, [eventId])).toEqual([]);
    }
  });
});
