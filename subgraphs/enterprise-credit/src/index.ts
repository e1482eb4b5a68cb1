import { openSubgraphDataSource } from '@citypoints/db';
import type { SubgraphModule } from '@citypoints/federation';
import { createQueue, Lifecycle } from '@citypoints/jobs';
import { optionsFromEnv, type EnterpriseCreditOptions } from './config';
import { clearRuntime, runtime, SCHEMA, setRuntime, type DeliveryJob, type ScoringJob } from './context';
import { QUEUES, startWorkers } from './jobs';
import { Init1764500000000 } from './migrations/1764500000000-Init';
import { SeedSchemes1764500000100 } from './migrations/1764500000100-SeedSchemes';
import { EventVersions1764900000000 } from './migrations/1764900000000-EventVersions';
import { buildEnterpriseCreditSchema } from './schema';
import { seedEnterpriseCreditDemo } from './seed/demo';

/** The module with its job options; tests shrink chunks and backoff through it. */
export function enterpriseCreditModule(overrides: Partial<EnterpriseCreditOptions> = {}): SubgraphModule {
  return {
    name: 'enterprise-credit',
    schema: SCHEMA,
    portVariable: 'ENTERPRISE_CREDIT_PORT',
    buildSchema: buildEnterpriseCreditSchema,
    async create(deps) {
      const options = { ...optionsFromEnv(), ...overrides };
      const log = deps.log ?? (() => undefined);
      const ds = await openSubgraphDataSource({ url: deps.databaseUrl, schema: SCHEMA, entities: [], migrations: [Init1764500000000, SeedSchemes1764500000100, EventVersions1764900000000] });
      const lifecycle = new Lifecycle({ log });
      const prefix = deps.queuePrefix;
      const scoringQueue = lifecycle.queue('scoring', createQueue<ScoringJob>(QUEUES.scoring, deps.queue, { prefix }));
      const deliveryQueue = lifecycle.queue('deliveries', createQueue<DeliveryJob>(QUEUES.deliveries, deps.queue, { prefix }));
      lifecycle.connection('database', { close: () => ds.destroy() });
      setRuntime({ ds, clock: deps.clock, options, scoringQueue, deliveryQueue, log });
      const rt = runtime();
      const federated = await buildEnterpriseCreditSchema();
      return {
        name: 'enterprise-credit',
        federated,
        dataSource: ds,
        ready: async () => (await ds.query('SELECT 1')).length === 1,
        startWorkers: () => startWorkers(deps, lifecycle),
        seedDemo: (o) => seedEnterpriseCreditDemo(ds, deps.clock, o),
        async close() {
          await lifecycle.shutdown();
          clearRuntime(rt);
        },
      };
    },
  };
}

export const enterpriseCredit: SubgraphModule = enterpriseCreditModule();

export { SCHEMA as ENTERPRISE_CREDIT_SCHEMA };
