import Redis from 'ioredis';
import { Client } from 'pg';
import { SubscriptionStore, type Subscription } from '@citypoints/events';
import { redisOptionsFromUrl } from '@citypoints/jobs';
import { registry } from '@citypoints/registry';
import { settlement } from '@citypoints/settlement';
import { eventually, seed, startCity, type TestCity } from '@citypoints/test-city';

/**
 * Who hears what lives on the queue backend, which can lose it (Redis flushed, or restarted
 * without persistence). A running consumer declares its subscription again every few seconds and
 * a relay routes by the subscriptions it has read and puts back any the store lost, so events keep
 * reaching their consumers. The bounds are `eventually`'s; nothing here is timed.
 */
describe('event subscriptions lost by the queue backend come back', () => {
  let city: TestCity;
  beforeAll(async () => {
    city = await startCity({ modules: [registry, settlement], workers: true, label: 'events_subscriptions' });
  });
  afterAll(() => city?.close());

  /** Deletes every subscription record of this city's queues, as a flush would. */
  async function loseSubscriptions(): Promise<void> {
    const q = city.queue;
    if (q.kind === 'redis') {
      const redis = new Redis({ ...redisOptionsFromUrl(q.url), lazyConnect: true });
      await redis.connect();
      try {
        expect(await redis.del(`${city.queuePrefix}:events:subscriptions`)).toBe(1);
      } finally {
        redis.disconnect();
      }
    } else {
      const pg = new Client({ connectionString: q.url });
      await pg.connect();
      try {
        const r = await pg.query(`DELETE FROM "${q.schema}_events"."event_subscriptions" WHERE "prefix" = $1`, [city.queuePrefix]);
        expect(r.rowCount).toBeGreaterThan(0);
      } finally {
        await pg.end();
      }
    }
  }

  async function subscriptions(): Promise<Subscription[]> {
    const store = new SubscriptionStore(city.queue, city.queuePrefix);
    try {
      return await store.list();
    } finally {
      await store.close();
    }
  }

  const inSettlement = async (id: string) => (await city.instances.settlement.dataSource.query(`SELECT 1 FROM settlement.residents WHERE id = $1`, [id])).length === 1;

  it('a running consumer declares its subscription again by itself; events written after the loss are still delivered', async () => {
    const first = await seed(city).resident();
    await eventually(() => inSettlement(first.id), 30_000);
    const declared = (await subscriptions()).find((s) => s.consumer === 'settlement');
    expect(declared?.topics).toEqual(expect.arrayContaining(['registry.resident.registered', 'registry.resident.changed']));

    // lost while nothing is written: only the consumer itself can bring it back
    await loseSubscriptions();
    expect(await subscriptions()).toEqual([]);
    await eventually(async () => (await subscriptions()).some((s) => s.consumer === 'settlement'), 30_000);
    expect((await subscriptions()).find((s) => s.consumer === 'settlement')).toEqual(declared);

    // lost again, and a resident registered at once: the relay routes by what it read before
    await loseSubscriptions();
    const second = await seed(city).resident();
    await eventually(() => inSettlement(second.id), 30_000);
    await eventually(async () => (await subscriptions()).some((s) => s.consumer === 'settlement'), 30_000);
  });
});
