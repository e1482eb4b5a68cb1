import type { QueueConnection } from '@citypoints/jobs';
import { resolveQueueConnection } from '@citypoints/jobs';
import type { SubgraphInstance, SubgraphModule } from '@citypoints/federation';
import { systemClock } from '@citypoints/kit';
import type { Env } from '@citypoints/config';
import { logger } from '@citypoints/log';
import { internalCalls } from '@citypoints/process';

export type Log = (message: string) => void;

/** Database and queue backend of a hosting process (DATABASE_URL must be set: the supervisor sets it). */
export async function hostDeps(e: Env, log: Log): Promise<{ databaseUrl: string; queue: QueueConnection }> {
  if (!e.DATABASE_URL) {
    logger('host').fatal('invalid environment:\n  DATABASE_URL: required for a process hosting subgraphs or workers (npm start sets it)');
    process.exit(78);
  }
  const queue = await resolveQueueConnection({ redisUrl: e.REDIS_URL, databaseUrl: e.DATABASE_URL, backend: e.QUEUE_BACKEND, log });
  return { databaseUrl: e.DATABASE_URL, queue };
}

/**
 * Creates every subgraph's instance, in order (each runs its migrations on creation); on a
 * failure the ones already open are closed before the error is thrown.
 */
export async function createInstances(modules: SubgraphModule[], e: Env, databaseUrl: string, queue: QueueConnection, log: Log): Promise<SubgraphInstance[]> {
  const out: SubgraphInstance[] = [];
  // read-through to registry and myData's fan-out call the other subgraphs' internal routes
  const internal = internalCalls(e);
  try {
    for (const m of modules) {
      out.push(await m.create({ databaseUrl, queue, queuePrefix: e.QUEUE_PREFIX, clock: systemClock, log: (s) => log(`${m.name}: ${s}`), internal }));
    }
    return out;
  } catch (err) {
    await closeInstances(out, log);
    throw err;
  }
}

/** Closes instances together: each closes its workers, then queues, then its pool. */
export async function closeInstances(instances: SubgraphInstance[], log: Log): Promise<void> {
  const results = await Promise.allSettled(instances.map((i) => i.close()));
  results.forEach((r, k) => r.status === 'rejected' && log(`closing ${instances[k].name} failed: ${String(r.reason)}`));
}
