import { openSubgraphDataSource } from '@citypoints/db';
import { EventConsumer, declareSubscription, registryClientFor } from '@citypoints/events';
import { myDataRoute, type SubgraphInstance, type SubgraphModule } from '@citypoints/federation';
import { settlementHeld } from './my-data/my-data.held';
import { JobRuns, Lifecycle } from '@citypoints/jobs';
import { createAdmissionQueue, startAdmissionWorker } from './admission/admission.jobs';
import { createFinaliseQueue, startFinaliseJobs } from './admission/finalise.jobs';
import { CONSUMER, SCHEMA } from './context';
import { createOverdueQueue, startOverdueJobs } from './household/household.jobs';
import { Init1764200000000 } from './migrations/1764200000000-Init';
import { Publicity1764200000001 } from './migrations/1764200000001-Publicity';
import { Calendar1764200000002, Procedure1764200000003 } from './migrations/1764200000003-Procedure';
import { SchoolEligibility1764200000004 } from './migrations/1764200000004-SchoolEligibility';
import { VerifiableRankings1764200000005 } from './migrations/1764200000005-VerifiableRankings';
import { CallerScopedKeys1764200000006 } from './migrations/1764200000006-CallerScopedKeys';
import { LookupAttempts1764200000090 } from './lookup/lookup.migration';
import { EventVersions1764900000000 } from './migrations/1764900000000-EventVersions';
import { EventTraceContext1765000000000 } from './migrations/1765000000000-EventTraceContext';
import { ChildResident1765100000000 } from './migrations/1765100000000-ChildResident';
import { UnlinkedChildBirthDate1765200000000 } from './migrations/1765200000000-UnlinkedChildBirthDate';
import { SchemeSimulations1764200000095 } from './simulation/simulation.migration';
import { createSimulationQueue, startSimulationWorker } from './simulation/simulation.jobs';
import { residentEventHandlers } from './residents/resident.projection';
import { recordFactHandlers } from './records/record-facts.projection';
import { childLinkHandlers } from './records/child-link';
import { VerifiedLines1765000000000 } from './migrations/1765000000000-VerifiedLines';
import type { SettlementRuntime } from './runtime';
import { buildSettlementSchema } from './schema';
import { seedSettlementDemo } from './seed/demo';

export const settlement: SubgraphModule = {
  name: 'settlement',
  schema: SCHEMA,
  portVariable: 'SETTLEMENT_PORT',
  buildSchema: buildSettlementSchema,
  async create(deps): Promise<SubgraphInstance<SettlementRuntime>> {
    const log = deps.log ?? (() => undefined);
    const ds = await openSubgraphDataSource({ url: deps.databaseUrl, schema: SCHEMA, entities: [], migrations: [Init1764200000000, Publicity1764200000001, Calendar1764200000002, Procedure1764200000003, SchoolEligibility1764200000004, VerifiableRankings1764200000005, CallerScopedKeys1764200000006, LookupAttempts1764200000090, SchemeSimulations1764200000095, EventVersions1764900000000, VerifiedLines1765000000000, EventTraceContext1765000000000, ChildResident1765100000000, UnlinkedChildBirthDate1765200000000] });
    const lifecycle = new Lifecycle({ log });
    lifecycle.connection('database', { close: () => ds.destroy() });
    const rt: SettlementRuntime = {
      ds,
      registry: registryClientFor('settlement', deps.internal),
      clock: deps.clock,
      runs: new JobRuns(SCHEMA),
      queues: {
        admission: lifecycle.queue('admission', createAdmissionQueue(deps)),
        overdue: lifecycle.queue('hukou-overdue', createOverdueQueue(deps)),
        finalise: lifecycle.queue('admission-finalise', createFinaliseQueue(deps)),
        simulation: lifecycle.queue('scheme-simulation', createSimulationQueue(deps)),
      },
      lifecycle,
      metrics: { calendarMissing: {} },
      log,
    };
    const eventHandlers = { ...residentEventHandlers, ...recordFactHandlers, ...childLinkHandlers(rt, residentEventHandlers) };
    // before any relay of a fresh deployment runs, so no event goes to nobody
    await declareSubscription(deps.queue, deps.queuePrefix, CONSUMER, eventHandlers);
    const federated = await buildSettlementSchema();
    return {
      name: 'settlement',
      runtime: rt,
      federated,
      dataSource: ds,
      ready: async () => (await ds.query('SELECT 1')).length === 1,
      routes: myDataRoute({ subgraph: 'settlement', secret: deps.internal?.secret, schema: SCHEMA, db: ds, held: (id) => settlementHeld(rt, id), log }),
      async startWorkers() {
        const consumer = new EventConsumer({ dataSource: ds, schema: SCHEMA, consumer: CONSUMER, connection: deps.queue, handlers: eventHandlers, prefix: deps.queuePrefix, concurrency: deps.eventConcurrency, log: deps.log });
        await consumer.start();
        lifecycle.worker('events', { close: () => consumer.stop() });
        lifecycle.worker('admission', startAdmissionWorker(rt, deps));
        lifecycle.worker('hukou-overdue', await startOverdueJobs(rt, deps));
        lifecycle.worker('admission-finalise', await startFinaliseJobs(rt, deps));
        lifecycle.worker('scheme-simulation', startSimulationWorker(rt, deps));
      },
      seedDemo: (o) => seedSettlementDemo(rt, o),
      close: () => lifecycle.shutdown(),
    };
  },
};

export { SCHEMA as SETTLEMENT_SCHEMA };
export type { SettlementRuntime };
