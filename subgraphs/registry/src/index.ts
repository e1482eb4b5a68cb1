import { openSubgraphDataSource } from '@citypoints/db';
import { OutboxRelay } from '@citypoints/events';
import type { SubgraphModule } from '@citypoints/federation';
import { Lifecycle } from '@citypoints/jobs';
import { registryEntities } from './entities';
import { Init1764100000000 } from './migrations/1764100000000-Init';
import { EventVersions1764900000000 } from './migrations/1764900000000-EventVersions';
import { EventTraceContext1765000000000 } from './migrations/1765000000000-EventTraceContext';
import { SCHEMA, type RegistryRuntime } from './runtime';
import { buildRegistrySchema } from './schema';
import { internalRoutes } from './internal/lookup.route';
import { seedRegistryDemo } from './seed/demo';

export const registry: SubgraphModule = {
  name: 'registry',
  schema: SCHEMA,
  portVariable: 'REGISTRY_PORT',
  buildSchema: buildRegistrySchema,
  async create(deps) {
    const log = deps.log ?? (() => undefined);
    const ds = await openSubgraphDataSource({ url: deps.databaseUrl, schema: SCHEMA, entities: registryEntities, migrations: [Init1764100000000, EventVersions1764900000000, EventTraceContext1765000000000] });
    const lifecycle = new Lifecycle({ log });
    lifecycle.connection('database', { close: () => ds.destroy() });
    const rt: RegistryRuntime = { ds, clock: deps.clock, lifecycle, log, internal: deps.internal };
    const federated = await buildRegistrySchema();
    return {
      name: 'registry',
      runtime: rt,
      federated,
      dataSource: ds,
      ready: async () => (await ds.query('SELECT 1')).length === 1,
      routes: internalRoutes(rt, deps.internal?.secret),
      async startWorkers() {
        const relay = new OutboxRelay({ dataSource: ds, schema: SCHEMA, connection: deps.queue, prefix: deps.queuePrefix, log });
        lifecycle.worker('outbox-relay', { close: () => relay.stop() });
        await relay.start();
      },
      seedDemo: (o) => seedRegistryDemo(ds, o),
      close: () => lifecycle.shutdown(),
    };
  },
};

export { SCHEMA as REGISTRY_SCHEMA };
export type { RegistryRuntime } from './runtime';
