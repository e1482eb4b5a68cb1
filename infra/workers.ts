import 'reflect-metadata';
import { env } from '@citypoints/config';
import { CITY } from './src/city';
import { closeInstances, createInstances, hostDeps } from './src/host';

/**
 * One process for every subgraph's BullMQ workers, schedulers, outbox relays and event
 * consumers. SIGTERM/SIGINT close the workers first (active jobs finish or go back to their
 * queue), then queues, then pools; the supervisor waits for it.
 */
async function main() {
  const log = (m: string) => console.log(`[workers] ${m}`);
  const e = env();
  const { databaseUrl, queue } = await hostDeps(e, log);
  const instances = await createInstances(CITY, e, databaseUrl, queue, log);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await closeInstances(instances, log);
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
  console.error('[workers] failed to start:', err);
  process.exit(1);
});
