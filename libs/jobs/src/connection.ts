import Redis from 'ioredis';
import type { RedisOptions } from 'bullmq';
import { assertIdentifier } from '@citypoints/db';

/** Where BullMQ keeps its queues: a Redis server, or BullMQ's tables in a PostgreSQL schema. */
export type QueueConnection = { kind: 'redis'; url: string } | { kind: 'postgres'; url: string; schema: string };

export type QueueBackendChoice = 'auto' | 'redis' | 'postgres';

export interface ResolveQueueConnectionOptions {
  /** usually `env().REDIS_URL` */
  redisUrl?: string;
  /** usually `env().DATABASE_URL`; hosts the `bullmq` schema when Redis is not used */
  databaseUrl: string;
  backend: QueueBackendChoice;
  /** the schema of BullMQ's PostgreSQL tables, `bullmq` unless told */
  schema?: string;
  /** how long `auto` waits for Redis to answer PING */
  pingTimeoutMs?: number;
  log?: (message: string) => void;
}

export const DEFAULT_QUEUE_SCHEMA = 'bullmq';

/**
 * Picks the queue backend once at boot. `auto` prefers Redis but only when it answers, so a
 * machine without Redis still runs every job on PostgreSQL instead of hanging on reconnects.
 */
export async function resolveQueueConnection(opts: ResolveQueueConnectionOptions): Promise<QueueConnection> {
  const schema = opts.schema ?? DEFAULT_QUEUE_SCHEMA;
  assertIdentifier(schema);
  const log = opts.log ?? (() => undefined);
  const postgres: QueueConnection = { kind: 'postgres', url: opts.databaseUrl, schema };
  switch (opts.backend) {
    case 'redis':
      if (!opts.redisUrl) throw new Error('queue backend "redis" needs REDIS_URL');
      log(`queues: Redis at ${redactUrl(opts.redisUrl)}`);
      return { kind: 'redis', url: opts.redisUrl };
    case 'postgres':
      log(`queues: PostgreSQL, schema ${schema}`);
      return postgres;
    case 'auto': {
      if (opts.redisUrl && (await pingRedis(opts.redisUrl, opts.pingTimeoutMs ?? 3000))) {
        log(`queues: Redis at ${redactUrl(opts.redisUrl)}`);
        return { kind: 'redis', url: opts.redisUrl };
      }
      log(
        opts.redisUrl
          ? `queues: Redis at ${redactUrl(opts.redisUrl)} did not answer; using PostgreSQL, schema ${schema}`
          : `queues: REDIS_URL not set; using PostgreSQL, schema ${schema}`,
      );
      return postgres;
    }
    default:
      throw new Error(`unknown queue backend ${String(opts.backend)}`);
  }
}

/** True when Redis at `url` answers PING within `timeoutMs`. Never throws, never retries. */
export async function pingRedis(url: string, timeoutMs = 3000): Promise<boolean> {
  const client = new Redis({
    ...redisOptionsFromUrl(url),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // an unreachable server emits 'error'; without a listener that would crash the process
  client.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const ping = client
      .connect()
      .then(() => client.ping())
      .then((reply) => reply === 'PONG')
      .catch(() => false);
    return await Promise.race([ping, timeout]);
  } finally {
    if (timer) clearTimeout(timer);
    // disconnecting an already ended client would leave ioredis's 2 s force-close timer behind
    if (client.status !== 'end') client.disconnect();
  }
}

/**
 * BullMQ gets connection options, not a client: each Queue and Worker then opens its own
 * connections with the settings its role needs (workers block, so they must never time out).
 */
export function redisOptionsFromUrl(url: string): RedisOptions {
  const u = new URL(url);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`not a Redis URL: ${redactUrl(url)}`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new Error(`bad Redis database number in ${redactUrl(url)}`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db,
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparsable url>';
  }
}
