import { openSubgraphDataSource } from '@citypoints/db';
import { EventConsumer } from '@citypoints/events';
import type { SubgraphModule } from '@citypoints/federation';
import { Ledger } from '@citypoints/ledger';
import { SCHEMA, volunteeringRuntime } from './context';
import { startVolunteeringJobs, type VolunteeringWorkers } from './jobs/volunteering.jobs';
import { Init1764700000000 } from './migrations/1764700000000-Init';
import { EventVersions1764900000000 } from './migrations/1764900000000-EventVersions';
import { openSystemAccounts } from './points/points.service';
import { residentEventHandlers } from './residents/resident.projection';
import { buildVolunteeringSchema } from './schema';
import { seedVolunteeringDemo } from './seed/demo';

export const volunteering: SubgraphModule = {
  name: 'volunteering',
  schema: SCHEMA,
  portVariable: 'VOLUNTEERING_PORT',
  buildSchema: buildVolunteeringSchema,
  async create(deps) {
    const ds = await openSubgraphDataSource({ url: deps.databaseUrl, schema: SCHEMA, entities: [], migrations: [Init1764700000000, EventVersions1764900000000] });
    volunteeringRuntime.ds = ds;
    volunteeringRuntime.clock = deps.clock;
    volunteeringRuntime.ledger = new Ledger({ schema: SCHEMA, clock: deps.clock });
    await ds.transaction((m) => openSystemAccounts(m));
    const federated = await buildVolunteeringSchema();
    const log = deps.log ?? (() => undefined);
    let consumer: EventConsumer | null = null;
    let jobs: VolunteeringWorkers | null = null;
    return {
      name: 'volunteering',
      federated,
      dataSource: ds,
      ready: async () => (await ds.query('SELECT 1')).length === 1,
      async startWorkers() {
        consumer = new EventConsumer({ dataSource: ds, schema: SCHEMA, consumer: 'volunteering', connection: deps.queue, prefix: deps.queuePrefix, handlers: residentEventHandlers, log });
        await consumer.start();
        jobs = await startVolunteeringJobs(deps.queue, deps.queuePrefix, log);
      },
      seedDemo: (o) => seedVolunteeringDemo(ds, o),
      async close() {
        await jobs?.worker.close();
        await consumer?.stop();
        await jobs?.queue.close();
        await ds.destroy();
        if (volunteeringRuntime.ds === ds) volunteeringRuntime.ds = null;
      },
    };
  },
};

export { SCHEMA as VOLUNTEERING_SCHEMA };
export { runVolunteeringJob, JOBS_QUEUE as VOLUNTEERING_JOBS_QUEUE, type VolunteeringJob } from './jobs/volunteering.jobs';
export { serviceAward, administratorAward, starsFor, nextStarAt, type SchemeRules, type Scheme } from './scheme/scheme.rules';
export { residentEventHandlers } from './residents/resident.projection';
export { TRANSITIONS as NEED_TRANSITIONS, canMove as canMoveNeed, NeedStatus } from './needs/need.rules';
