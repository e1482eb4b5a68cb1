import { openSubgraphDataSource } from '@citypoints/db';
import { EventConsumer } from '@citypoints/events';
import type { SubgraphModule } from '@citypoints/federation';
import type { JobQueue, JobWorker } from '@citypoints/jobs';
import { CONSUMER, SCHEMA, socialDb } from './context';
import { Init1764600000000 } from './migrations/1764600000000-Init';
import { EventVersions1764900000000 } from './migrations/1764900000000-EventVersions';
import { buildSocialOrganisationsSchema } from './schema';
import { registryHandlers } from './organisations/projection.handlers';
import { enterpriseCreditHandlers } from './member-effects/member-effect.handlers';
import { startGradingJobs } from './grading/grading.jobs';
import { seedSocialOrganisationsDemo } from './seed/demo';

export const socialOrganisations: SubgraphModule = {
  name: 'social-organisations',
  schema: SCHEMA,
  portVariable: 'SOCIAL_ORGANISATIONS_PORT',
  buildSchema: buildSocialOrganisationsSchema,
  async create(deps) {
    const ds = await openSubgraphDataSource({ url: deps.databaseUrl, schema: SCHEMA, entities: [], migrations: [Init1764600000000, EventVersions1764900000000] });
    socialDb.ds = ds;
    socialDb.clock = deps.clock;
    const federated = await buildSocialOrganisationsSchema();
    let consumer: EventConsumer | null = null;
    let jobs: { queue: JobQueue; worker: JobWorker } | null = null;
    return {
      name: 'social-organisations',
      federated,
      dataSource: ds,
      ready: async () => (await ds.query('SELECT 1')).length === 1,
      async startWorkers() {
        consumer = new EventConsumer({
          dataSource: ds,
          schema: SCHEMA,
          consumer: CONSUMER,
          connection: deps.queue,
          prefix: deps.queuePrefix,
          handlers: { ...registryHandlers, ...enterpriseCreditHandlers },
          log: deps.log,
        });
        await consumer.start();
        jobs = await startGradingJobs(deps);
      },
      seedDemo: (o) => seedSocialOrganisationsDemo(ds, o),
      async close() {
        await consumer?.stop();
        await jobs?.worker.close();
        await jobs?.queue.close();
        await ds.destroy();
        if (socialDb.ds === ds) socialDb.ds = null;
      },
    };
  },
};

export { SCHEMA as SOCIAL_ORGANISATIONS_SCHEMA };
