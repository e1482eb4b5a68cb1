import Redis from 'ioredis';
import { Client } from 'pg';
import { assertIdentifier } from '@citypoints/db';
import { DEFAULT_QUEUE_PREFIX, redisOptionsFromUrl, type QueueConnection } from '@citypoints/jobs';

/**
 * Who hears what, declared by each consumer: the topics it has handlers for (an entry ending in
 * `.*` is a prefix). A consumer records its subscription on the queue backend when it starts, and
 * every relay reads them from there; no library lists the subgraphs. A subscription lasts until
 * replaced, so events published while a consumer is down still reach its queue.
 */
export interface Subscription {
  consumer: string;
  topics: readonly string[];
}

export function subscribes(s: Subscription, topic: string): boolean {
  return s.topics.some((t) => (t.endsWith('.*') ? topic.startsWith(t.slice(0, -1)) : t === topic));
}

/** The consumers of a topic, each once, in the order given. */
export function consumersOf(topic: string, subscriptions: readonly Subscription[]): string[] {
  const out: string[] = [];
  for (const s of subscriptions) if (subscribes(s, topic) && !out.includes(s.consumer)) out.push(s.consumer);
  return out;
}

export function consumerQueueName(consumer: string): string {
  return `events.${consumer}`;
}

/**
 * Where subscriptions live: a Redis hash, or on PostgreSQL a table in a schema of its own beside
 * BullMQ's (`<queue schema>_events`; creating BullMQ's schema here would race its own bootstrap).
 */
export class SubscriptionStore {
  private redis: Redis | undefined;
  private pg: Client | undefined;
  private readonly prefix: string;

  constructor(
    private readonly connection: QueueConnection,
    prefix?: string,
  ) {
    this.prefix = prefix ?? DEFAULT_QUEUE_PREFIX;
    if (connection.kind === 'postgres') assertIdentifier(this.pgSchema());
  }

  async register(s: Subscription): Promise<void> {
    const topics = [...new Set(s.topics)].sort();
    if (this.connection.kind === 'redis') {
      await (await this.redisClient()).hset(this.redisKey(), s.consumer, JSON.stringify(topics));
      return;
    }
    const pg = await this.pgClient();
    await pg.query(
      `INSERT INTO "${this.pgSchema()}"."event_subscriptions" ("prefix", "consumer", "topics") VALUES ($1, $2, $3)
       ON CONFLICT ("prefix", "consumer") DO UPDATE SET "topics" = EXCLUDED."topics"`,
      [this.prefix, s.consumer, topics],
    );
  }

  /**
   * Records `s` only where this consumer has no subscription yet (a relay putting back what it
   * remembers after the store was lost): never overwrites a consumer's newer declaration.
   */
  async restore(s: Subscription): Promise<void> {
    const topics = [...new Set(s.topics)].sort();
    if (this.connection.kind === 'redis') {
      await (await this.redisClient()).hsetnx(this.redisKey(), s.consumer, JSON.stringify(topics));
      return;
    }
    const pg = await this.pgClient();
    await pg.query(
      `INSERT INTO "${this.pgSchema()}"."event_subscriptions" ("prefix", "consumer", "topics") VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [this.prefix, s.consumer, topics],
    );
  }

  async list(): Promise<Subscription[]> {
    if (this.connection.kind === 'redis') {
      const all = await (await this.redisClient()).hgetall(this.redisKey());
      return Object.entries(all)
        .map(([consumer, topics]) => ({ consumer, topics: JSON.parse(topics) as string[] }))
        .sort((a, b) => a.consumer.localeCompare(b.consumer));
    }
    const pg = await this.pgClient();
    const { rows } = await pg.query<{ consumer: string; topics: string[] }>(
      `SELECT "consumer", "topics" FROM "${this.pgSchema()}"."event_subscriptions" WHERE "prefix" = $1 ORDER BY "consumer"`,
      [this.prefix],
    );
    return rows.map((r) => ({ consumer: r.consumer, topics: r.topics }));
  }

  async close(): Promise<void> {
    const r = this.redis;
    const p = this.pg;
    this.redis = undefined;
    this.pg = undefined;
    if (r) r.disconnect();
    if (p) await p.end().catch(() => undefined);
  }

  private pgSchema(): string {
    return this.connection.kind === 'postgres' ? `${this.connection.schema}_events` : '';
  }

  private redisKey(): string {
    return `${this.prefix}:events:subscriptions`;
  }

  private async redisClient(): Promise<Redis> {
    if (!this.redis && this.connection.kind === 'redis') {
      const client = new Redis({ ...redisOptionsFromUrl(this.connection.url), maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
      // a lost server is reported by the failing command; the listener keeps it from crashing the process
      client.on('error', () => undefined);
      this.redis = client;
      await client.connect();
    }
    return this.redis as Redis;
  }

  private async pgClient(): Promise<Client> {
    if (!this.pg && this.connection.kind === 'postgres') {
      const client = new Client({ connectionString: this.connection.url });
      // a connection the database dropped (a restart, a failover) is forgotten, so the next call
      // opens a new one instead of failing on the dead one for ever; the listener also keeps an
      // idle client's error from crashing the process
      const forget = () => {
        if (this.pg === client) this.pg = undefined;
      };
      client.on('error', forget);
      client.on('end', forget);
      await client.connect();
      const s = this.pgSchema();
      await client.query(`SELECT pg_advisory_lock(hashtext('citypoints.event_subscriptions'))`);
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS "${s}"`);
        await client.query(`CREATE TABLE IF NOT EXISTS "${s}"."event_subscriptions" (
          "prefix" text NOT NULL, "consumer" text NOT NULL, "topics" text[] NOT NULL, PRIMARY KEY ("prefix", "consumer"))`);
      } finally {
        await client.query(`SELECT pg_advisory_unlock(hashtext('citypoints.event_subscriptions'))`);
      }
      this.pg = client;
    }
    return this.pg as Client;
  }
}
