import { openSubgraphDataSource } from '@citypoints/db';
import { EventConsumer, OutboxRelay, declareSubscription, registryClientFor } from '@citypoints/events';
import { myDataRoute, type SubgraphInstance, type SubgraphModule } from '@citypoints/federation';
import { civicHeld } from './my-data/my-data.held';
import { createQueue, createWorker, JobRuns, Lifecycle, schedule } from '@citypoints/jobs';
import { Ledger } from '@citypoints/ledger';
import { SCHEMA } from './context';
import { Init1764400000000 } from './migrations/1764400000000-Init';
import { HolderConsent1764600000000 } from './migrations/1764600000000-HolderConsent';
import { CallerScopedKeys1764700000000 } from './migrations/1764700000000-CallerScopedKeys';
import { PausedPublicity1764800000000 } from './migrations/1764800000000-PausedPublicity';
import { EventVersions1764900000000 } from './migrations/1764900000000-EventVersions';
import { EventTraceContext1765000000000 } from './migrations/1765000000000-EventTraceContext';
import { VolunteerExchange1764950000000 } from './migrations/1764950000000-VolunteerExchange';
import { RedemptionGiveUp1764960000000 } from './migrations/1764960000000-RedemptionGiveUp';
import { ReleasedHolderCodes1765100000000 } from './migrations/1765100000000-ReleasedHolderCodes';
import { exchangeHandlers } from './exchange/volunteer-redemption';
import { RedemptionNotices } from './exchange/redemption-notices';
import { civicOptionsFromEnv, type CivicOptions } from './config';
import { startExchangeJobs } from './exchange/exchange.jobs';
import { buildCivicSchema } from './schema';
import { openSystemAccounts } from './cards/card.service';
import { residentHandlers } from './residents/projection';
import { RHYTHM_QUEUE, runRhythmJob, type RhythmJobData } from './rhythm/rhythm.jobs';
import { seedCivicDemo } from './seed/demo';
import type { CivicRuntime } from './runtime';

/** "Register monthly, report quarterly, evaluate yearly", in the city's time zone. */
const RHYTHM_SCHEDULES: readonly { id: string; pattern: string; data: RhythmJobData }[] = Object.freeze([
  { id: 'civic:monthly-stars', pattern: '30 0 1 * *', data: { kind: 'MONTHLY_STARS' } },
  { id: 'civic:quarterly-bulletin', pattern: '0 1 1 1,4,7,10 *', data: { kind: 'QUARTERLY_BULLETIN' } },
  { id: 'civic:red-settlement', pattern: '5 0 1 1 *', data: { kind: 'RED_SETTLEMENT' } },
  { id: 'civic:yearly-evaluation', pattern: '0 2 1 1 *', data: { kind: 'YEARLY_EVALUATION' } },
]);

export const MIGRATIONS = Object.freeze([Init1764400000000, HolderConsent1764600000000, CallerScopedKeys1764700000000, PausedPublicity1764800000000, EventVersions1764900000000, VolunteerExchange1764950000000, RedemptionGiveUp1764960000000, EventTraceContext1765000000000, ReleasedHolderCodes1765100000000]);

/** The module with the saga's options (src/config.ts); tests shrink or stretch its bounds through it. */
export function civicModule(overrides: Partial<CivicOptions> = {}): SubgraphModule {
  return {
    name: 'civic',
    schema: SCHEMA,
    portVariable: 'CIVIC_PORT',
    buildSchema: buildCivicSchema,
    async create(deps): Promise<SubgraphInstance<CivicRuntime>> {
      const options = civicOptionsFromEnv(process.env, overrides);
      const lifecycle = new Lifecycle({ log: deps.log });
      const ds = await openSubgraphDataSource({ url: deps.databaseUrl, schema: SCHEMA, entities: [], migrations: [...MIGRATIONS] });
      lifecycle.connection('database', { close: () => ds.destroy() });
      const notices = new RedemptionNotices(deps.databaseUrl, deps.log);
      lifecycle.connection('redemption-notices', { close: () => notices.close() });
      const rt: CivicRuntime = {
        ds,
        clock: deps.clock,
        ledger: new Ledger({ schema: SCHEMA, clock: deps.clock }),
        runs: new JobRuns(SCHEMA),
        options,
        notices,
        lifecycle,
        log: deps.log,
        registry: registryClientFor('civic', deps.internal),
      };
      try {
        await ds.transaction((m) => openSystemAccounts(rt, m));
      } catch (e) {
        await lifecycle.shutdown();
        throw e;
      }
      // before any relay of a fresh deployment runs, so no event goes to nobody
      const handlers = { ...residentHandlers, ...exchangeHandlers(rt) };
      await declareSubscription(deps.queue, deps.queuePrefix, 'civic', handlers);
      const federated = await buildCivicSchema();
      return {
        name: 'civic',
        runtime: rt,
        federated,
        dataSource: ds,
        ready: async () => (await ds.query('SELECT 1')).length === 1,
        routes: myDataRoute({ subgraph: 'civic', secret: deps.internal?.secret, schema: SCHEMA, db: ds, held: (id) => civicHeld(rt, id), log: deps.log }),
        async startWorkers() {
          const consumer = new EventConsumer({ dataSource: ds, schema: SCHEMA, consumer: 'civic', connection: deps.queue, handlers, prefix: deps.queuePrefix, concurrency: deps.eventConcurrency, log: deps.log });
          lifecycle.worker('events', { close: () => consumer.stop() });
          await consumer.start();
          const relay = new OutboxRelay({ dataSource: ds, schema: SCHEMA, connection: deps.queue, prefix: deps.queuePrefix, log: deps.log });
          lifecycle.worker('outbox-relay', { close: () => relay.stop() });
          relay.start();
          await startExchangeJobs(rt, deps.queue, deps.queuePrefix);
          const queue = lifecycle.queue('rhythm', createQueue<RhythmJobData>(RHYTHM_QUEUE, deps.queue, { prefix: deps.queuePrefix }));
          for (const s of RHYTHM_SCHEDULES) {
            await schedule(queue, s.id, { pattern: s.pattern }, { name: s.data.kind, data: s.data, opts: { attempts: 5, backoff: { type: 'exponential', delay: 10_000 } } });
          }
          const worker = lifecycle.worker(
            'rhythm',
            createWorker<RhythmJobData>(RHYTHM_QUEUE, (job) => runRhythmJob(rt, job.data, { onProgress: (p) => job.updateProgress(p) }), deps.queue, {
              prefix: deps.queuePrefix,
              concurrency: 1,
            }),
          );
          worker.on('failed', (job, err) => deps.log?.(`civic: rhythm job ${job?.name} failed: ${err.message}`));
          await worker.waitUntilReady();
        },
        seedDemo: (o) => seedCivicDemo(rt, o),
        close: () => lifecycle.shutdown(),
      };
    },
  };
}

export const civic: SubgraphModule = civicModule();

export { SCHEMA as CIVIC_SCHEMA };
export type { CivicRuntime, Ctx as CivicContext } from './runtime';
export { runRhythmJob, previousPeriod, type RhythmJobData, type RhythmKind } from './rhythm/rhythm.jobs';
export { creditFor } from './records/record.rules';
export { applyDebitDecision, resumePendingRedemptions, RESUME_AFTER_MS, GIVE_UP_AFTER_MS } from './exchange/volunteer-redemption';
export type { CivicOptions } from './config';
export { SETTLED_CHANNEL as REDEMPTION_SETTLED_CHANNEL } from './exchange/redemption-notices';
