import 'reflect-metadata';
import { env } from '@citypoints/config';
import { initTracing, logFn, logger, shutdownTracing, startProbeServer } from '@citypoints/log';
import { queueReachable } from '@citypoints/process';
import { CITY } from './src/city';
import { closeInstances, createInstances, hostDeps } from './src/host';

/**
 * One process for every subgraph's BullMQ workers, schedulers, outbox relays and event
 * consumers. SIGTERM/SIGINT close the workers first (active jobs finish or go back to their
 * queue), then queues, then pools; the supervisor waits for it.
 */
async function main() {
  const log = logFn('workers');
  const e = env();
  initTracing('workers');
  const { databaseUrl, queue } = await hostDeps(e, log);
  const instances = await createInstances(CITY, e, databaseUrl, queue, log);
  // /health, /ready and /metrics of the workers on WORKER_HTTP_PORT (0: none)
  const probe = e.WORKER_HTTP_PORT
    ? await startProbeServer({
        port: e.WORKER_HTTP_PORT,
        service: 'workers',
        ready: async () => ({
          database: (await Promise.all(instances.map((i) => i.ready().catch(() => false)))).every(Boolean),
          queues: await queueReachable(queue),
        }),
      })
    : null;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await probe?.close();
    await closeInstances(instances, log);
    await shutdownTracing();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  // started by `npm start`: stop when the supervisor is gone
  process.on('disconnect', () => void stop());
  for (const i of instances) await i.startWorkers();
  log(`workers of ${instances.length} subgraphs started`);
  process.send?.({ ready: true });
}

main().catch((err) => {
  logger('workers').fatal({ err }, 'failed to start');
  process.exit(1);
});
