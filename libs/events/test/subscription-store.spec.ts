import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '@citypoints/db';
import { eventually } from '@citypoints/testing';
import { SubscriptionStore } from '../src/subscriptions';

/**
 * The subscriptions the relays read on BullMQ's PostgreSQL backend: when the database drops the
 * store's connection (a restart, a failover), the next calls open a new one; before, every later
 * read failed on the dead connection and the relays never relayed again.
 */
describe('subscription store on PostgreSQL', () => {
  let db: TestDatabase;
  let store: SubscriptionStore;

  beforeAll(async () => {
    db = await createTestDatabase('events_subscription_store');
    store = new SubscriptionStore({ kind: 'postgres', url: db.url, schema: 'bullmq' }, 'tsub');
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('reads the subscriptions again after its connection was terminated', async () => {
    await store.register({ consumer: 'civic', topics: ['registry.resident.*'] });
    expect(await store.list()).toEqual([{ consumer: 'civic', topics: ['registry.resident.*'] }]);

    // the server ends every session of the database but this one, as a fast shutdown does
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    try {
      const { rows } = await admin.query(`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
      expect(rows[0].n).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }

    const listed = await eventually(async () => store.list(), 10_000, 50);
    expect(listed).toEqual([{ consumer: 'civic', topics: ['registry.resident.*'] }]);
    await store.register({ consumer: 'settlement', topics: ['registry.resident.registered'] });
    expect((await store.list()).map((s) => s.consumer)).toEqual(['civic', 'settlement']);
  });
});
