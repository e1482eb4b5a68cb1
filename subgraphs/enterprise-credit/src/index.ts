import { declareSubscription, registryClientFor } from '@citypoints/events';
import { enterpriseHandlers } from './enterprises/enterprise.projection';
import { openSubgraphDataSource } from '@citypoints/db';
import { myDataRoute, type SubgraphInstance, type SubgraphModule } from '@citypoints/federation';
import { enterpriseCreditHeld } from './my-data/my-data.held';
import { createQueue, JobRuns, Lifecycle } from '@citypoints/jobs';
import { optionsFromEnv, type EnterpriseCreditOptions } from './config';
import { creditPublisher } from './events';
import { QUEUES, startWorkers } from './jobs';
import { Init1764500000000 } from './migrations/1764500000000-Init';
import { SeedSchemes1764500000100 } from './migrations/1764500000100-SeedSchemes';
import { sealWebhookSecretsMigration } from './migrations/1764500000200-SealWebhookSecrets';
import { FeedsPerDepartment1764500000300 } from './migrations/1764500000300-FeedsPerDepartment';
import { EventVersions1764900000000 } from './migrations/1764900000000-EventVersions';
import { EventTraceContext1765000000000 } from './migrations/1765000000000-EventTraceContext';
import { AreasAndStaleReports1764500000400 } from './migrations/1764500000400-AreasAndStaleReports';
import { calendarMigration } from '@citypoints/calendar';
import { SCHEMA, type DeliveryJob, type EnterpriseCreditRuntime, type ScoringJob } from './runtime';
import { buildEnterpriseCreditSchema } from './schema';
import { seedEnterpriseCreditDemo } from './seed/demo';

/** The migrations in order; the key encrypts webhook secrets stored before they were encrypted. */
export const migrations = (webhookSecretKey: Buffer) => [
  Init1764500000000,
  SeedSchemes1764500000100,
  sealWebhookSecretsMigration(webhookSecretKey),
  FeedsPerDepartment1764500000300,
  AreasAndStaleReports1764500000400,
  // the State Council's working-day arrangements, read by the escalation of alerts
  calendarMigration(SCHEMA, 1764500000500),
  EventVersions1764900000000,
  EventTraceContext1765000000000,
];

/** The module with its job options; tests shrink chunks and backoff through it. */
export function enterpriseCreditModule(overrides: Partial<EnterpriseCreditOptions> = {}): SubgraphModule {
  return {
    name: 'enterprise-credit',
    schema: SCHEMA,
    portVariable: 'ENTERPRISE_CREDIT_PORT',
    buildSchema: buildEnterpriseCreditSchema,
    async create(deps): Promise<SubgraphInstance<EnterpriseCreditRuntime>> {
      const options = optionsFromEnv(process.env, overrides);
      const log = deps.log ?? (() => undefined);
      const lifecycle = new Lifecycle({ log });
      const ds = await openSubgraphDataSource({ url: deps.databaseUrl, schema: SCHEMA, entities: [], migrations: migrations(options.webhookSecretKey) });
      lifecycle.connection('database', { close: () => ds.destroy() });
      const prefix = deps.queuePrefix;
      const rt: EnterpriseCreditRuntime = {
        ds,
        registry: registryClientFor('enterprise-credit', deps.internal),
        clock: deps.clock,
        options,
        runs: new JobRuns(SCHEMA),
        queues: {
          scoring: lifecycle.queue('scoring', createQueue<ScoringJob>(QUEUES.scoring, deps.queue, { prefix })),
          deliveries: lifecycle.queue('deliveries', createQueue<DeliveryJob>(QUEUES.deliveries, deps.queue, { prefix })),
        },
        publisher: creditPublisher(),
        labourSchemes: new Map(),
        metrics: { calendarMissing: {} },
        connection: { queue: deps.queue, queuePrefix: prefix },
        lifecycle,
        log,
      };
      // before any relay of a fresh deployment runs, so no event goes to nobody
      await declareSubscription(deps.queue, deps.queuePrefix, 'enterprise-credit', enterpriseHandlers);
      const federated = await buildEnterpriseCreditSchema();
      return {
        name: 'enterprise-credit',
        runtime: rt,
        federated,
        dataSource: ds,
        ready: async () => (await ds.query('SELECT 1')).length === 1,
        routes: myDataRoute({ subgraph: 'enterprise-credit', secret: deps.internal?.secret, schema: SCHEMA, db: ds, held: enterpriseCreditHeld, log }),
        startWorkers: () => startWorkers(rt),
        seedDemo: (o) => seedEnterpriseCreditDemo(rt, o),
        close: () => lifecycle.shutdown(),
      };
    },
  };
}

export const enterpriseCredit: SubgraphModule = enterpriseCreditModule();

export { SCHEMA as ENTERPRISE_CREDIT_SCHEMA };
export type { EnterpriseCreditRuntime } from './runtime';
