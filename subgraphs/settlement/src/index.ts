import { openSubgraphDataSource } from '@citypoints/db';
import { EventConsumer } from '@citypoints/events';
import type { SubgraphModule } from '@citypoints/federation';
import type { JobQueue, JobWorker } from '@citypoints/jobs';
import { createAdmissionQueue, startAdmissionWorker } from './admission/admission.jobs';
import { CONSUMER, SCHEMA, settlementRuntime } from './context';
import { startOverdueJobs } from './household/household.jobs';
import { Init1764200000000 } from './migrations/1764200000000-Init';
import { Publicity1764200000001 } from './migrations/1764200000001-Publicity';
import { EventVersions1764900000000 } from './migrations/1764900000000-EventVersions';
import { residentEventHandlers } from './residents/resident.projection';
import { buildSettlementSchema } from './schema';
import { seedSettlementDemo } from './seed/demo';

export const settlement: SubgraphModule = {
  name: 'settlement',
  schema: SCHEMA,
  portVariable: 'SETTLEMENT_PORT',
  buildSchema: buildSettlementSchema,
  async create(deps) {
    const ds = await openSubgraphDataSource({ url: deps.databaseUrl, schema: SCHEMA, entities: [], migrations: [Init1764200000000, Publicity1764200000001, EventVersions1764900000000] });
    const admissionQueue = createAdmissionQueue(deps);
    settlementRuntime.ds = ds;
    settlementRuntime.clock = deps.clock;
    settlementRuntime.admissionQueue = admissionQueue;
    const federated = await buildSettlementSchema();
    let consumer: EventConsumer | null = null;
    const workers: JobWorker[] = [];
    const queues: JobQueue[] = [admissionQueue];
    return {
      name: 'settlement',
      federated,
      dataSource: ds,
      ready: async () => (await ds.query('SELECT 1')).length === 1,
      async startWorkers() {
        consumer = new EventConsumer({ dataSource: ds, schema: SCHEMA, consumer: CONSUMER, connection: deps.queue, handlers: residentEventHandlers, prefix: deps.queuePrefix, log: deps.log });
        await consumer.start();
        workers.push(startAdmissionWorker(deps, ds));
        const overdue = await startOverdueJobs(deps, ds);
        workers.push(overdue.worker);
        queues.push(overdue.queue);
      },
      seedDemo: (o) => seedSettlementDemo(ds, deps.clock, o),
      async close() {
        await Promise.all(workers.map((w) => w.close()));
        if (consumer) await consumer.stop();
        await Promise.all(queues.map((q) => q.close()));
        await ds.destroy();
        if (settlementRuntime.ds === ds) {
          settlementRuntime.ds = null;
          settlementRuntime.admissionQueue = null;
        }
      },
    };
  },
};

export { SCHEMA as SETTLEMENT_SCHEMA };
