import { env, subgraphSecret, type Env } from '@citypoints/config';
import { Lifecycle, resolveQueueConnection, type QueueConnection } from '@citypoints/jobs';
import { startSubgraphServer, type SubgraphModule, type SubgraphInstance } from '@citypoints/federation';
import { systemClock } from '@citypoints/kit';
import { initTracing, logger, logFn, shutdownTracing, startProbeServer } from '@citypoints/log';
import { pingRedis } from '@citypoints/jobs';
import { Client } from 'pg';

/**
 * Running one subgraph as an operating-system process: its GraphQL server (`src/main.ts`) or its
 * workers (`src/worker.ts`). Configuration comes from the environment; SIGTERM/SIGINT shut the
 * process down through one Lifecycle.
 */
export interface ProcessDeps {
  env: Env;
  databaseUrl: string;
  queue: QueueConnection;
}

/** Database and queue backend of a process, from the environment (DATABASE_URL must be set). */
export async function processDeps(log: (m: string) => void): Promise<ProcessDeps> {
  const e = env();
  if (!e.DATABASE_URL) {
    logger('process').fatal('invalid environment:\n  DATABASE_URL: required for a single subgraph or worker process (npm start sets it)');
    process.exit(78);
  }
  const queue = await resolveQueueConnection({ redisUrl: e.REDIS_URL, databaseUrl: e.DATABASE_URL, backend: e.QUEUE_BACKEND, log });
  return { env: e, databaseUrl: e.DATABASE_URL, queue };
}

/** Where another subgraph listens, by the port variable its module names (`enterprise-credit` → ENTERPRISE_CREDIT_PORT). */
function subgraphUrl(e: Env, name: string): string | undefined {
  const port = (e as unknown as Record<string, unknown>)[`${name.toUpperCase().replace(/-/g, '_')}_PORT`];
  return typeof port === 'number' ? `http://${e.SUBGRAPH_HOST}:${port}/graphql` : undefined;
}

/** How a subgraph calls another's internal routes (signed): where each listens, and the shared secret. */
export function internalCalls(e: Env): { urlOf: (name: string) => string | undefined; secret: string } {
  return { urlOf: (name: string) => subgraphUrl(e, name), secret: subgraphSecret(e) };
}

async function open(m: SubgraphModule, log: (s: string) => void): Promise<{ inst: SubgraphInstance; deps: ProcessDeps }> {
  const deps = await processDeps(log);
  const internal = internalCalls(deps.env);
  const inst = await m.create({ databaseUrl: deps.databaseUrl, queue: deps.queue, queuePrefix: deps.env.QUEUE_PREFIX, clock: systemClock, log, internal });
  return { inst, deps };
}

/** `src/main.ts` of a subgraph: its GraphQL server; stops taking requests, then closes, on SIGTERM. */
export function runSubgraphServer(m: SubgraphModule): void {
  const log = logFn(m.name);
  const lifecycle = new Lifecycle({ log });
  initTracing(m.name);
  lifecycle.connection('tracing', { close: shutdownTracing });
  (async () => {
    const { inst, deps } = await open(m, log);
    // the instance (pools, queues, its own lifecycle) closes after the server stopped taking requests
    lifecycle.connection(`${m.name} instance`, inst);
    const server = await startSubgraphServer({ name: m.name, schema: inst.federated.schema, port: deps.env[m.portVariable], host: deps.env.SUBGRAPH_HOST, subgraphSecret: subgraphSecret(deps.env), ready: inst.ready, readyChecks: { queues: () => queueReachable(deps.queue) }, runtime: inst.runtime, routes: inst.routes?.bind(inst) });
    lifecycle.worker(`${m.name} server`, server);
    // handlers before the ready line: whoever waits for it may signal at once
    lifecycle.installSignalHandlers();
    log(`subgraph listening on ${server.url}`);
  })().catch((e) => {
    logger(m.name).fatal({ err: e }, 'failed to start');
    process.exit(1);
  });
}

/** `src/worker.ts` of a subgraph: its BullMQ workers, schedulers, relay and consumers. */
export function runSubgraphWorker(m: SubgraphModule): void {
  const log = logFn(`${m.name}-worker`);
  const lifecycle = new Lifecycle({ log });
  initTracing(`${m.name}-worker`);
  lifecycle.connection('tracing', { close: shutdownTracing });
  (async () => {
    const { inst, deps } = await open(m, log);
    lifecycle.connection(`${m.name} instance`, inst);
    await inst.startWorkers();
    // /health, /ready and /metrics of the worker, on WORKER_HTTP_PORT (0: none)
    if (deps.env.WORKER_HTTP_PORT) {
      const probe = await startProbeServer({
        port: deps.env.WORKER_HTTP_PORT,
        service: `${m.name}-worker`,
        ready: async () => ({ database: await inst.ready().catch(() => false), queues: await queueReachable(deps.queue) }),
      });
      lifecycle.worker(`${m.name}-worker probes`, probe);
      log(`worker probes on :${probe.port} (/health, /ready, /metrics)`);
    }
    lifecycle.installSignalHandlers();
    log('workers started');
  })().catch((e) => {
    logger(`${m.name}-worker`).fatal({ err: e }, 'failed to start');
    process.exit(1);
  });
}

/** True when the queue backend answers: Redis PING, or a query on the PostgreSQL that holds the queues. */
export async function queueReachable(queue: QueueConnection): Promise<boolean> {
  if (queue.kind === 'redis') return pingRedis(queue.url, 1000);
  const c = new Client({ connectionString: queue.url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}
