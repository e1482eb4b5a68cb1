import { openSubgraphDataSource } from '@citypoints/db';
import { EventConsumer, OutboxRelay, declareSubscription, registryClientFor } from '@citypoints/events';
import { myDataRoute, type SubgraphModule } from '@citypoints/federation';
import { volunteeringHeld } from './my-data/my-data.held';
import { createQueue, Lifecycle } from '@citypoints/jobs';
import { Ledger } from '@citypoints/ledger';
import { SCHEMA, type VolunteeringRuntime } from './runtime';
import { JOBS_QUEUE, startVolunteeringJobs } from './jobs/volunteering.jobs';
import { Init1764700000000 } from './migrations/1764700000000-Init';
import { EventVersions1764900000000 } from './migrations/1764900000000-EventVersions';
import { EventTraceContext1765000000000 } from './migrations/1765000000000-EventTraceContext';
import { SupermarketDebits1764950000000 } from './migrations/1764950000000-SupermarketDebits';
import { SupermarketCancellation1764960000000 } from './migrations/1764960000000-SupermarketCancellation';
import { supermarketHandlers } from './exchange/supermarket';
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
    const log = deps.log ?? (() => undefined);
    const ds = await openSubgraphDataSource({ url: deps.databaseUrl, schema: SCHEMA, entities: [], migrations: [Init1764700000000, EventVersions1764900000000, SupermarketDebits1764950000000, SupermarketCancellation1764960000000, EventTraceContext1765000000000] });
    const lifecycle = new Lifecycle({ log });
    lifecycle.connection('database', { close: () => ds.destroy() });
    const jobsQueue = lifecycle.queue('jobs', createQueue<Record<string, never>, number>(JOBS_QUEUE, deps.queue, { prefix: deps.queuePrefix }));
    const rt: VolunteeringRuntime = { ds, clock: deps.clock, ledger: new Ledger({ schema: SCHEMA, clock: deps.clock }), jobsQueue, lifecycle, log, registry: registryClientFor('volunteering', deps.internal) };
    await ds.transaction((m) => openSystemAccounts(rt, m));
    // before any relay of a fresh deployment runs, so no event goes to nobody
    const handlers = { ...residentEventHandlers, ...supermarketHandlers(rt) };
    await declareSubscription(deps.queue, deps.queuePrefix, 'volunteering', handlers);
    const federated = await buildVolunteeringSchema();
    return {
      name: 'volunteering',
      runtime: rt,
      federated,
      dataSource: ds,
      ready: async () => (await ds.query('SELECT 1')).length === 1,
      routes: myDataRoute({ subgraph: 'volunteering', secret: deps.internal?.secret, schema: SCHEMA, db: ds, held: (id) => volunteeringHeld(rt, id), log }),
      async startWorkers() {
        const consumer = new EventConsumer({ dataSource: ds, schema: SCHEMA, consumer: 'volunteering', connection: deps.queue, prefix: deps.queuePrefix, concurrency: deps.eventConcurrency, handlers, log });
        lifecycle.worker('events', { close: () => consumer.stop() });
        await consumer.start();
        const relay = new OutboxRelay({ dataSource: ds, schema: SCHEMA, connection: deps.queue, prefix: deps.queuePrefix, log });
        lifecycle.worker('outbox-relay', { close: () => relay.stop() });
        relay.start();
        await startVolunteeringJobs(rt, deps.queue, deps.queuePrefix);
      },
      seedDemo: (o) => seedVolunteeringDemo(rt, o),
      close: () => lifecycle.shutdown(),
    };
  },
};

export { SCHEMA as VOLUNTEERING_SCHEMA };
export type { VolunteeringRuntime } from './runtime';
export { runVolunteeringJob, JOBS_QUEUE as VOLUNTEERING_JOBS_QUEUE, type VolunteeringJob } from './jobs/volunteering.jobs';
export { serviceAward, administratorAward, starsFor, nextStarAt, type SchemeRules, type Scheme } from './scheme/scheme.rules';
export { residentEventHandlers } from './residents/resident.projection';
export { decideRedemption, cancelRedemption, SUPERMARKET_ACCOUNT } from './exchange/supermarket';
export { TRANSITIONS as NEED_TRANSITIONS, canMove as canMoveNeed, NeedStatus } from './needs/need.rules';
