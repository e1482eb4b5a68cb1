import 'reflect-metadata';
import { env } from '@citypoints/config';
import { CITY } from './src/city';
import { closeInstances, createInstances, hostDeps } from './src/host';

/**
 * The migration step of a deployment (the Kubernetes Job, or before a rollout): opens every
 * subgraph once, which runs its pending migrations under the schema's advisory lock, and exits.
 * With DEMO_DATA=on it also loads the demo city (never in production).
 */
async function main() {
  const log = (m: string) => console.log(`[migrate] ${m}`);
  const e = env();
  const { databaseUrl, queue } = await hostDeps(e, log);
  const instances = await createInstances(CITY, e, databaseUrl, queue, log);
  try {
    if (e.DEMO_DATA === 'on' && e.NODE_ENV !== 'production') for (const i of instances) await i.seedDemo?.({ seed: 20240901, log });
  } finally {
    await closeInstances(instances, log);
  }
  log(`migrations of ${instances.length} subgraphs are current`);
  process.exit(0);
}

main().catch((err) => {
  console.error('[migrate] failed:', err);
  process.exit(1);
});
