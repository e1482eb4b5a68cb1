import Redis from 'ioredis';
import { Pool } from 'pg';
import { redisOptionsFromUrl, type QueueConnection } from '@citypoints/jobs';

/** The answer of a token bucket: taken, or how long until one token is there. */
export interface Take {
  allowed: boolean;
  /** milliseconds until the next request would be allowed (0 when allowed) */
  retryAfterMs: number;
}

export interface RateLimitStore {
  readonly kind: string;
  /** takes one token from the bucket of `key` (refilled at `perSecond`, holding at most `burst`) */
  take(key: string, perSecond: number, burst: number): Promise<Take>;
  /** true when the store answers (the gateway's /ready) */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * A token bucket per key in Redis: one Lua script reads, refills, takes and writes atomically,
 * on the server's clock, so every gateway replica shares the bucket. Keys expire once full again.
 */
const TAKE_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local h = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(h[1])
local at = tonumber(h[2])
if tokens == nil then tokens = burst; at = now end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return { allowed, wait }
`;

export class RedisRateLimitStore implements RateLimitStore {
  readonly kind = 'redis';
  private readonly client: Redis;

  constructor(
    url: string,
    private readonly prefix: string,
  ) {
    this.client = new Redis({ ...redisOptionsFromUrl(url), maxRetriesPerRequest: 1, enableOfflineQueue: true, lazyConnect: false });
    this.client.on('error', () => undefined);
  }

  async take(key: string, perSecond: number, burst: number): Promise<Take> {
    const [allowed, wait] = (await this.client.eval(TAKE_SCRIPT, 1, `${this.prefix}:ratelimit:${key}`, String(perSecond), String(burst))) as [number, number];
    return { allowed: allowed === 1, retryAfterMs: Number(wait) };
  }

  async ping(): Promise<boolean> {
    return (await this.client.ping().catch(() => '')) === 'PONG';
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/**
 * The same bucket in PostgreSQL, for a city without Redis: one row per key in an unlogged table
 * of the gateway's own schema, refilled and taken in one statement under the row lock.
 */
export class PostgresRateLimitStore implements RateLimitStore {
  readonly kind = 'postgres';
  private readonly pool: Pool;
  private ready: Promise<void> | undefined;
  private takes = 0;

  constructor(
    url: string,
    private readonly schema = 'gateway',
    statementTimeoutMs = 5_000,
  ) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`not a safe SQL identifier: ${schema}`);
    this.pool = new Pool({ connectionString: url, max: 4, options: `-c statement_timeout=${statementTimeoutMs}` });
    this.pool.on('error', () => undefined);
  }

  private ensure(): Promise<void> {
    this.ready ??= (async () => {
      await this.pool.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`).catch((e) => {
        if ((e as { code?: string }).code !== '23505') throw e;
      });
      await this.pool
        .query(`CREATE UNLOGGED TABLE IF NOT EXISTS "${this.schema}"."rate_limit" (key text PRIMARY KEY, tokens float8 NOT NULL, at timestamptz NOT NULL, allowed boolean NOT NULL)`)
        .catch((e) => {
          if ((e as { code?: string }).code !== '23505' && (e as { code?: string }).code !== '42P07') throw e;
        });
    })().catch((e) => {
      this.ready = undefined;
      throw e;
    });
    return this.ready;
  }

  async take(key: string, perSecond: number, burst: number): Promise<Take> {
    await this.ensure();
    const t = `"${this.schema}"."rate_limit"`;
    const refilled = `LEAST($3::float8, b.tokens + EXTRACT(EPOCH FROM clock_timestamp() - b.at)::float8 * $2::float8)`;
    // refill by the time since the last call (capped at the burst), then take one if there is one
    const { rows } = await this.pool.query<{ allowed: boolean; tokens: number }>(
      `INSERT INTO ${t} AS b (key, tokens, at, allowed) VALUES ($1, $3::float8 - 1, clock_timestamp(), true)
       ON CONFLICT (key) DO UPDATE SET
         tokens = CASE WHEN ${refilled} >= 1 THEN ${refilled} - 1 ELSE ${refilled} END,
         allowed = ${refilled} >= 1,
         at = clock_timestamp()
       RETURNING allowed, tokens`,
      [key, perSecond, burst],
    );
    const { allowed, tokens } = rows[0];
    // now and then, forget buckets that have been full again for a while (one row per caller)
    if (++this.takes % 1000 === 0) {
      const fullAfter = Math.ceil(burst / perSecond) + 60;
      void this.pool.query(`DELETE FROM ${t} WHERE at < clock_timestamp() - make_interval(secs => $1)`, [fullAfter]).catch(() => undefined);
    }
    return allowed ? { allowed: true, retryAfterMs: 0 } : { allowed: false, retryAfterMs: Math.ceil(((1 - Number(tokens)) * 1000) / perSecond) };
  }

  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Buckets in this process only: development without Redis or PostgreSQL, and unit tests. */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly kind = 'memory';
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  async take(key: string, perSecond: number, burst: number): Promise<Take> {
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) * perSecond) / 1000);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true, retryAfterMs: 0 };
    }
    return { allowed: false, retryAfterMs: Math.ceil(((1 - b.tokens) * 1000) / perSecond) };
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }
}

/** The store on the backend the queues use: Redis when there is one, else PostgreSQL. */
export function rateLimitStoreFor(conn: QueueConnection, prefix: string, statementTimeoutMs?: number): RateLimitStore {
  return conn.kind === 'redis' ? new RedisRateLimitStore(conn.url, prefix) : new PostgresRateLimitStore(conn.url, 'gateway', statementTimeoutMs);
}
