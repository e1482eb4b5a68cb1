import { randomBytes, randomUUID } from 'node:crypto';
import { createTestDatabase, DataSource, EntityManager, openSubgraphDataSource, TestDatabase } from '@citypoints/db';
import { createQueue, JobQueue, QueueConnection } from '@citypoints/jobs';
import { batchHandlers, consumerQueueName, DomainEvent, EventConsumer, EventHandler, EventOutcome } from '../src';
import { eventsTablesSql, waitFor as waitUpTo } from './helpers';

/** Polls until `check` returns a value other than undefined (a minute: batches of many events). */
const waitFor = <T>(label: string, check: () => Promise<T | undefined>) => waitUpTo(label, check, 60_000);

// topics without contracts: these tests are about how events are applied, not their payloads
const ADDED = 'test.tally.added';
const SET = 'test.tally.set';

/**
 * A tally per key: `added` adds n, `set` replaces the value — the order of events matters, so a
 * batch must give what one by one gives in delivery order.
 */
const one = (schema: string, seen: string[]): Record<string, EventHandler> => ({
  [ADDED]: async (m, e) => {
    seen.push(e.id);
    if (e.payload.poison) throw new Error('poisoned event');
    await m.query(`INSERT INTO ${schema}.tally (key, n) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET n = ${schema}.tally.n + EXCLUDED.n`, [e.payload.key, e.payload.n]);
  },
  [SET]: async (m, e) => {
    seen.push(e.id);
    await m.query(`INSERT INTO ${schema}.tally (key, n) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET n = EXCLUDED.n`, [e.payload.key, e.payload.n]);
  },
});

/** the same as `one`, for many events: the tallies computed in memory from the rows, written in one statement */
const many = (schema: string, calls: DomainEvent[][]) => async (m: EntityManager, events: DomainEvent[]) => {
  calls.push(events);
  if (events.some((e) => e.payload.poison)) throw new Error('poisoned event in the batch');
  const keys = [...new Set(events.map((e) => String(e.payload.key)))];
  const rows: { key: string; n: number }[] = await m.query(`SELECT key, n FROM ${schema}.tally WHERE key = ANY($1) FOR UPDATE`, [keys]);
  const tally = new Map(rows.map((r) => [r.key, r.n]));
  for (const e of events) {
    const key = String(e.payload.key);
    const n = Number(e.payload.n);
    tally.set(key, e.topic === SET ? n : (tally.get(key) ?? 0) + n);
  }
  await m.query(
    `INSERT INTO ${schema}.tally (key, n) SELECT * FROM unnest($1::text[], $2::int[]) ON CONFLICT (key) DO UPDATE SET n = EXCLUDED.n`,
    [[...tally.keys()], [...tally.values()]],
  );
};

const redisUrl = process.env.CITYPOINTS_TEST_REDIS_URL;

describe('a consumer applying a burst of events in batches', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let conn: QueueConnection;
  let prefix: string;
  const queues: JobQueue<DomainEvent, EventOutcome>[] = [];
  const consumers: EventConsumer[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('events-batch');
    ds = await openSubgraphDataSource({ url: db.url, schema: 'batched', entities: [], migrations: [] });
    await ds.query(`CREATE SCHEMA IF NOT EXISTS single`);
    for (const schema of ['batched', 'single']) {
      for (const sql of eventsTablesSql(schema)) await ds.query(sql);
      await ds.query(`CREATE TABLE ${schema}.tally (key text PRIMARY KEY, n int NOT NULL)`);
    }
    conn = redisUrl ? { kind: 'redis', url: redisUrl } : { kind: 'postgres', url: db.url, schema: 'bullmq' };
    prefix = `cptest-${randomBytes(4).toString('hex')}`;
  });

  afterAll(async () => {
    for (const c of consumers) await c.stop();
    for (const q of queues) {
      await q.obliterate({ force: true });
      await q.close();
    }
    await ds?.destroy();
    await db?.drop();
  });

  const event = (topic: string, payload: Record<string, unknown>, i: number): DomainEvent =>
    ({ id: randomUUID(), topic, aggregateId: String(payload.key), version: i + 1, schemaVersion: 1, payload, createdAt: new Date().toISOString(), source: 'test' }) as DomainEvent;

  /** queues the events for `consumer` (before it runs, so they are waiting together) and returns its queue */
  const enqueue = async (consumer: string, events: DomainEvent[], attempts = 3) => {
    const q = createQueue<DomainEvent, EventOutcome>(consumerQueueName(consumer), conn, { prefix });
    queues.push(q);
    await q.addBulk(events.map((e) => ({ name: e.topic, data: e, opts: { jobId: e.id, attempts, backoff: { type: 'fixed', delay: 50 } } })));
    return q;
  };
  const start = async (consumer: string, schema: string, handlers: Record<string, EventHandler>) => {
    const c = new EventConsumer({ dataSource: ds, schema, consumer, connection: conn, prefix, handlers, batchSize: 50 });
    consumers.push(c);
    await c.start();
    return c;
  };
  const finished = (q: JobQueue<DomainEvent, EventOutcome>, ids: string[]) =>
    waitFor(`${ids.length} jobs finished`, async () => {
      const jobs = await Promise.all(ids.map((id) => q.getJob(id)));
      return jobs.every((j) => j?.finishedOn) ? jobs : undefined;
    });
  const tally = async (schema: string) =>
    Object.fromEntries((await ds.query(`SELECT key, n FROM ${schema}.tally ORDER BY key`)).map((r: { key: string; n: number }) => [r.key, r.n]));
  const inbox = async (schema: string, consumer: string): Promise<string[]> =>
    (await ds.query(`SELECT event_id FROM ${schema}.inbox WHERE consumer = $1`, [consumer])).map((r: { event_id: string }) => r.event_id);

  it('applies a burst in fewer transactions than events, ending as one by one does, each event once', async () => {
    const events = Array.from({ length: 300 }, (_, i) => (i % 7 === 3 ? event(SET, { key: `k${i % 5}`, n: i }, i) : event(ADDED, { key: `k${i % 5}`, n: i % 11 }, i)));
    const calls: DomainEvent[][] = [];
    const seenBatched: string[] = [];
    const seenSingle: string[] = [];
    const qb = await enqueue('tally-batched', events);
    const qs = await enqueue('tally-single', events);
    await start('tally-batched', 'batched', batchHandlers(one('batched', seenBatched), many('batched', calls)));
    await start('tally-single', 'single', one('single', seenSingle));
    const [jobsB, jobsS] = await Promise.all([finished(qb, events.map((e) => e.id)), finished(qs, events.map((e) => e.id))]);

    expect(jobsB.map((j) => j?.returnvalue)).toEqual(events.map(() => 'applied'));
    expect(jobsS.map((j) => j?.returnvalue)).toEqual(events.map(() => 'applied'));
    // every event went through a batch, in far fewer batches than events, none through the single handler
    expect(calls.flat().map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
    expect(calls.length).toBeLessThan(events.length / 3);
    expect(Math.max(...calls.map((c) => c.length))).toBeLessThanOrEqual(50);
    expect(seenBatched).toEqual([]);
    expect(seenSingle).toHaveLength(events.length);
    // the same tallies as applied one by one; a SET in the burst makes the order count
    const expected = await tally('single');
    expect(Object.keys(expected)).toHaveLength(5);
    expect(await tally('batched')).toEqual(expected);
    expect((await inbox('batched', 'tally-batched')).sort()).toEqual(events.map((e) => e.id).sort());

    // delivered again: duplicates, nothing applied twice
    const again = events.slice(0, 40).map((e) => ({ ...e }));
    const qAgain = createQueue<DomainEvent, EventOutcome>(consumerQueueName('tally-batched'), conn, { prefix });
    queues.push(qAgain);
    const ids = again.map((e) => `${e.id}-again`);
    await qAgain.addBulk(again.map((e, i) => ({ name: e.topic, data: e, opts: { jobId: ids[i] } })));
    const jobsAgain = await finished(qAgain, ids);
    expect(jobsAgain.map((j) => j?.returnvalue)).toEqual(again.map(() => 'duplicate'));
    expect(await tally('batched')).toEqual(expected);
  });

  it('applies the other events of a batch holding a poisoned one, and fails only that one', async () => {
    const events = Array.from({ length: 60 }, (_, i) => event(ADDED, { key: `p${i % 3}`, n: 1, poison: i === 17 }, i));
    const poisoned = events[17];
    const calls: DomainEvent[][] = [];
    const seen: string[] = [];
    const q = await enqueue('tally-poisoned', events, 1);
    await start('tally-poisoned', 'batched', batchHandlers(one('batched', seen), many('batched', calls)));
    const jobs = await finished(q, events.map((e) => e.id));

    const failed = jobs.filter((j) => j?.failedReason);
    expect(failed.map((j) => j?.id)).toEqual([poisoned.id]);
    expect(failed[0]?.failedReason).toBe('poisoned event');
    expect(jobs.filter((j) => j?.returnvalue === 'applied')).toHaveLength(59);
    // the batch holding it was tried and failed; its events were then applied one by one
    expect(calls.some((c) => c.some((e) => e.id === poisoned.id))).toBe(true);
    expect(seen).toContain(poisoned.id);
    expect(await tally('batched')).toMatchObject({ p0: 20, p1: 20, p2: 19 });
    const applied = await inbox('batched', 'tally-poisoned');
    expect(applied).toHaveLength(59);
    expect(applied).not.toContain(poisoned.id);
  });
});
