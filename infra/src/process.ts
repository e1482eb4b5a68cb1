import { env, subgraphSecret, type Env } from '@citypoints/config';
import { resolveQueueConnection, type QueueConnection } from '@citypoints/jobs';
import { startSubgraphServer, type SubgraphModule, type SubgraphInstance } from '@citypoints/federation';
import { systemClock } from '@citypoints/kit';

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

function onSignals(stop: () => Promise<void>) {
  let stopping = false;
  const handler = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await stop();
    } finally {
      process.exit(0);
    }
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}

async function open(m: SubgraphModule, log: (s: string) => void): Promise<{ inst: SubgraphInstance; deps: ProcessDeps }> {
  const deps = await processDeps(log);
  const inst = await m.create({ databaseUrl: deps.databaseUrl, queue: deps.queue, queuePrefix: deps.env.QUEUE_PREFIX, clock: systemClock, log });
  return { inst, deps };
}

/** `src/main.ts` of a subgraph: its GraphQL server; stops taking requests, then closes, on SIGTERM. */
export function runSubgraphServer(m: SubgraphModule): void {
  const log = (s: string) => console.log(`[${m.name}] ${s}`);
  (async () => {
    const { inst, deps } = await open(m, log);
    const server = await startSubgraphServer({ name: m.name, schema: inst.federated.schema, port: deps.env[m.portVariable], host: deps.env.SUBGRAPH_HOST, subgraphSecret: subgraphSecret(deps.env), ready: inst.ready, runtime: inst.runtime });
    log(`subgraph listening on ${server.url}`);
    onSignals(async () => {
      await server.close();
      await inst.close();
    });
  })().catch((e) => {
    console.error(`[${m.name}] failed to start:`, e);
    process.exit(1);
  });
}

/** `src/worker.ts` of a subgraph: its BullMQ workers, schedulers, relay and consumers. */
export function runSubgraphWorker(m: SubgraphModule): void {
  const log = (s: string) => console.log(`[${m.name}-worker] ${s}`);
  (async () => {
    const { inst } = await open(m, log);
    await inst.startWorkers();
    log('workers started');
    onSignals(() => inst.close());
  })().catch((e) => {
    console.error(`[${m.name}-worker] failed to start:`, e);
    process.exit(1);
  });
}
