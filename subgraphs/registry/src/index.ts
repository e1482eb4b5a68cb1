import { openSubgraphDataSource } from '@citypoints/db';
import { OutboxRelay } from '@citypoints/events';
import type { SubgraphModule } from '@citypoints/federation';
import { registryDb, SCHEMA } from './context';
import { registryEntities } from './entities';
import { Init1764100000000 } from './migrations/1764100000000-Init';
import { EventVersions1764900000000 } from './migrations/1764900000000-EventVersions';
import { buildRegistrySchema } from './schema';
import { seedRegistryDemo } from './seed/demo';

export const registry: SubgraphModule = {
  name: 'registry',
  schema: SCHEMA,
  portVariable: 'REGISTRY_PORT',
  buildSchema: buildRegistrySchema,
  async create(deps) {
    const ds = await openSubgraphDataSource({ url: deps.databaseUrl, schema: SCHEMA, entities: registryEntities, migrations: [Init1764100000000, EventVersions1764900000000] });
    registryDb.ds = ds;
    const federated = await buildRegistrySchema();
    let relay: OutboxRelay | null = null;
    return {
      name: 'registry',
      federated,
      dataSource: ds,
      ready: async () => (await ds.query('SELECT 1')).length === 1,
      async startWorkers() {
        relay = new OutboxRelay({ dataSource: ds, schema: SCHEMA, connection: deps.queue, prefix: deps.queuePrefix, log: deps.log });
        await relay.start();
      },
      seedDemo: (o) => seedRegistryDemo(ds, o),
      async close() {
        if (relay) await relay.stop();
        await ds.destroy();
        if (registryDb.ds === ds) registryDb.ds = null;
      },
    };
  },
};

export { SCHEMA as REGISTRY_SCHEMA };
