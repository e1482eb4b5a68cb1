import fs from 'node:fs';
import { adminQueueNames, subgraphSecret, subgraphUrls, type Env } from '@citypoints/config';
import { resolveQueueConnection } from '@citypoints/jobs';
import { logger, logFn } from '@citypoints/log';
import { SUPERGRAPH_PATH } from './compose';
import type { GatewayOptions } from './gateway';
import { MemoryRateLimitStore, rateLimitStoreFor, type RateLimitStore } from './rate-limit';

const log = logger('gateway');

/**
 * The gateway's options from the environment — subgraph URLs from configuration, never from
 * subgraph code — shared by the gateway process and the one-process city. Rate limits and the job
 * dashboard live on the backend the queues use: Redis, else PostgreSQL.
 */
export async function gatewayOptionsFromEnv(e: Env, o: { supergraphSdl?: string; host?: string } = {}): Promise<GatewayOptions> {
  const supergraphSdl = o.supergraphSdl ?? (e.GATEWAY_SUPERGRAPH === 'file' ? fs.readFileSync(SUPERGRAPH_PATH, 'utf8') : undefined);
  const queue = e.DATABASE_URL || e.REDIS_URL ? await resolveQueueConnection({ redisUrl: e.REDIS_URL, databaseUrl: e.DATABASE_URL ?? '', backend: e.DATABASE_URL ? e.QUEUE_BACKEND : 'redis', log: logFn('gateway') }) : null;
  let store: RateLimitStore;
  if (queue) store = rateLimitStoreFor(queue, e.QUEUE_PREFIX, e.DB_STATEMENT_TIMEOUT_MS || undefined);
  else if (e.NODE_ENV === 'production') {
    log.fatal('invalid environment: DATABASE_URL or REDIS_URL is required (per-caller rate limits are shared by every replica)');
    process.exit(78);
  } else {
    log.warn('neither DATABASE_URL nor REDIS_URL is set: rate limits are kept in this process only');
    store = new MemoryRateLimitStore();
  }
  return {
    supergraphSdl,
    serviceUrls: subgraphUrls(e),
    port: e.GATEWAY_PORT,
    host: o.host ?? '0.0.0.0',
    jwtSecret: e.AUTH_JWT_SECRET,
    jwksUrl: e.AUTH_JWKS_URL,
    issuer: e.AUTH_ISSUER,
    audience: e.AUTH_AUDIENCE,
    subgraphSecret: subgraphSecret(e),
    maxDepth: e.GATEWAY_MAX_DEPTH,
    maxCost: e.GATEWAY_MAX_COST,
    maxRootFields: e.GATEWAY_MAX_ROOT_FIELDS,
    maxBodyBytes: e.GATEWAY_MAX_BODY_BYTES,
    subgraphTimeoutMs: e.GATEWAY_SUBGRAPH_TIMEOUT_MS,
    rateLimit: { store, perSecond: e.RATE_LIMIT_PER_SECOND, burst: e.RATE_LIMIT_BURST },
    adminQueues: queue ? { connection: queue, prefix: e.QUEUE_PREFIX, queues: adminQueueNames(e), sessionSecret: subgraphSecret(e), secureCookie: e.NODE_ENV === 'production' } : undefined,
  };
}
