import { env, subgraphSecret, type Env } from '@citypoints/config';
import { Lifecycle, resolveQueueConnection, type QueueConnection } from '@citypoints/jobs';
import { startSubgraphServer, type SubgraphModule, type SubgraphInstance } from '@citypoints/federation';
import { systemClock } from '@citypoints/kit';

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
    console.error('invalid environment:\n  DATABASE_URL: required for a single subgraph or worker process (npm start sets it)');
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

async function open(m: SubgraphModule, log: (s: string) => void): Promise<{ inst: SubgraphInstance; deps: ProcessDeps }> {
  const deps = await processDeps(log);
  const internal = { urlOf: (name: string) => subgraphUrl(deps.env, name), secret: subgraphSecret(deps.env) };
  const inst = await m.create({ databaseUrl: deps.databaseUrl, queue: deps.queue, queuePrefix: deps.env.QUEUE_PREFIX, clock: systemClock, log, internal });
  return { inst, deps };
}

/** `src/main.ts` of a subgraph: its GraphQL server; stops taking requests, then closes, on SIGTERM. */
export function runSubgraphServer(m: SubgraphModule): void {
  const log = (s: string) => console.log(`[${m.name}] ${s}`);
  const lifecycle = new Lifecycle({ log });
  (async () => {
    const { inst, deps } = await open(m, log);
    // the instance (pools, queues, its own lifecycle) closes after the server stopped taking requests
    lifecycle.connection(`${m.name} instance`, inst);
    const server = await startSubgraphServer({ name: m.name, schema: inst.federated.schema, port: deps.env[m.portVariable], host: deps.env.SUBGRAPH_HOST, subgraphSecret: subgraphSecret(deps.env), ready: inst.ready, runtime: inst.runtime, routes: inst.routes?.bind(inst) });
    lifecycle.worker(`${m.name} server`, server);
    // handlers before the ready line: whoever waits for it may signal at once
    lifecycle.installSignalHandlers();
    log(`subgraph listening on ${server.url}`);
  })().catch((e) => {
    console.error(`[${m.name}] failed to start:`, e);
    process.exit(1);
  });
}

/** `src/worker.ts` of a subgraph: its BullMQ workers, schedulers, relay and consumers. */
export function runSubgraphWorker(m: SubgraphModule): void {
  const log = (s: string) => console.log(`[${m.name}-worker] ${s}`);
  const lifecycle = new Lifecycle({ log });
  (async () => {
    const { inst } = await open(m, log);
    lifecycle.connection(`${m.name} instance`, inst);
    await inst.startWorkers();
    lifecycle.installSignalHandlers();
    log('workers started');
  })().catch((e) => {
    console.error(`[${m.name}-worker] failed to start:`, e);
    process.exit(1);
  });
}
