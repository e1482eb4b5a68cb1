import { openSubgraphDataSource } from '@citypoints/db';
import { EventConsumer, batchHandlers, declareSubscription, registryClientFor } from '@citypoints/events';
import { myDataRoute, type SubgraphModule } from '@citypoints/federation';
import { socialOrganisationsHeld } from './my-data/my-data.held';
import { createQueue, createQueueEvents, JobRuns, Lifecycle } from '@citypoints/jobs';
import { Ledger } from '@citypoints/ledger';
import { CONSUMER, DEFAULT_OPTIONS, SCHEMA, type GradingJob, type SocialOrganisationsOptions, type SocialOrganisationsRuntime } from './runtime';
import { Init1764600000000 } from './migrations/1764600000000-Init';
import { CallerScopedKeys1764600000100 } from './migrations/1764600000100-CallerScopedKeys';
import { BlacklistingLifts1764600000200 } from './migrations/1764600000200-BlacklistingLifts';
import { GradingRunItems1764600000300 } from './migrations/1764600000300-GradingRunItems';
import { EventVersions1764900000000 } from './migrations/1764900000000-EventVersions';
import { EventTraceContext1765000000000 } from './migrations/1765000000000-EventTraceContext';
import { buildSocialOrganisationsSchema } from './schema';
import { registryHandlers } from './organisations/projection.handlers';
import { applyEnterpriseCreditEvents, enterpriseCreditHandlers } from './member-effects/member-effect.handlers';
import { GRADING_QUEUE, startGradingJobs } from './grading/grading.jobs';
import { seedSocialOrganisationsDemo } from './seed/demo';

/** The module with its options; tests shrink the grading chunks through it. */
export function socialOrganisationsModule(overrides: Partial<SocialOrganisationsOptions> = {}): SubgraphModule {
  return {
    name: 'social-organisations',
    schema: SCHEMA,
    portVariable: 'SOCIAL_ORGANISATIONS_PORT',
    buildSchema: buildSocialOrganisationsSchema,
    async create(deps) {
      const log = deps.log ?? (() => undefined);
      const ds = await openSubgraphDataSource({ url: deps.databaseUrl, schema: SCHEMA, entities: [], migrations: [Init1764600000000, CallerScopedKeys1764600000100, BlacklistingLifts1764600000200, GradingRunItems1764600000300, EventVersions1764900000000, EventTraceContext1765000000000] });
      const lifecycle = new Lifecycle({ log });
      lifecycle.connection('database', { close: () => ds.destroy() });
      const gradingQueue = lifecycle.queue('grading', createQueue<GradingJob>(GRADING_QUEUE, deps.queue, { prefix: deps.queuePrefix }));
      const gradingEvents = lifecycle.queue('grading-events', createQueueEvents(GRADING_QUEUE, deps.queue, { prefix: deps.queuePrefix }));
      const rt: SocialOrganisationsRuntime = {
        ds,
        registry: registryClientFor('social-organisations', deps.internal),
        clock: deps.clock,
        ledger: new Ledger({ schema: SCHEMA, clock: deps.clock }),
        runs: new JobRuns(SCHEMA),
        gradingQueue,
        gradingEvents,
        options: { ...DEFAULT_OPTIONS, ...overrides },
        lifecycle,
        log,
      };
      // before any relay of a fresh deployment runs, so no event goes to nobody
      await declareSubscription(deps.queue, deps.queuePrefix, CONSUMER, { ...registryHandlers(rt), ...enterpriseCreditHandlers(rt) });
      const federated = await buildSocialOrganisationsSchema();
      return {
        name: 'social-organisations',
        runtime: rt,
        federated,
        dataSource: ds,
        ready: async () => (await ds.query('SELECT 1')).length === 1,
        routes: myDataRoute({ subgraph: 'social-organisations', secret: deps.internal?.secret, schema: null, db: ds, held: socialOrganisationsHeld, log }),
        async startWorkers() {
          const consumer = new EventConsumer({
            dataSource: ds,
            schema: SCHEMA,
            consumer: CONSUMER,
            connection: deps.queue,
            prefix: deps.queuePrefix,
            concurrency: deps.eventConcurrency,
            // enterprise-credit's events arriving together are applied in one transaction each batch
            handlers: { ...registryHandlers(rt), ...batchHandlers(enterpriseCreditHandlers(rt), (m, events) => applyEnterpriseCreditEvents(rt, m, events)) },
            log,
          });
          lifecycle.worker('events', { close: () => consumer.stop() });
          await consumer.start();
          await startGradingJobs(rt, deps.queue, deps.queuePrefix);
        },
        seedDemo: (o) => seedSocialOrganisationsDemo(rt, o),
        close: () => lifecycle.shutdown(),
      };
    },
  };
}

export const socialOrganisations: SubgraphModule = socialOrganisationsModule();

export { SCHEMA as SOCIAL_ORGANISATIONS_SCHEMA };
export type { SocialOrganisationsRuntime } from './runtime';
