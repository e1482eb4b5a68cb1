import { openSubgraphDataSource } from '@citypoints/db';
import { EventConsumer } from '@citypoints/events';
import type { SubgraphModule } from '@citypoints/federation';
import { createQueue, createWorker, JobRuns, schedule, type JobQueue, type JobWorker } from '@citypoints/jobs';
import { Ledger } from '@citypoints/ledger';
import { civicDb, SCHEMA } from './context';
import { Init1764400000000 } from './migrations/1764400000000-Init';
import { EventVersions1764900000000 } from './migrations/1764900000000-EventVersions';
import { buildCivicSchema } from './schema';
import { openSystemAccounts } from './cards/card.service';
import { residentHandlers } from './residents/projection';
import { RHYTHM_QUEUE, runRhythmJob, type RhythmJobData } from './rhythm/rhythm.jobs';
import { seedCivicDemo } from './seed/demo';

/** "Register monthly, report quarterly, evaluate yearly", in the city's time zone. */
const RHYTHM_SCHEDULES: { id: string; pattern: string; data: RhythmJobData }[] = [
  { id: 'civic:monthly-stars', pattern: '30 0 1 * *', data: { kind: 'MONTHLY_STARS' } },
  { id: 'civic:quarterly-bulletin', pattern: '0 1 1 1,4,7,10 *', data: { kind: 'QUARTERLY_BULLETIN' } },
  { id: 'civic:red-settlement', pattern: '5 0 1 1 *', data: { kind: 'RED_SETTLEMENT' } },
  { id: 'civic:yearly-evaluation', pattern: '0 2 1 1 *', data: { kind: 'YEARLY_EVALUATION' } },
];

export const civic: SubgraphModule = {
  name: 'civic',
  schema: SCHEMA,
  portVariable: 'CIVIC_PORT',
  buildSchema: buildCivicSchema,
  async create(deps) {
    const ds = await openSubgraphDataSource({ url: deps.databaseUrl, schema: SCHEMA, entities: [], migrations: [Init1764400000000, EventVersions1764900000000] });
    const ledger = new Ledger({ schema: SCHEMA, clock: deps.clock });
    civicDb.ds = ds;
    civicDb.clock = deps.clock;
    civicDb.ledger = ledger;
    await ds.transaction((m) => openSystemAccounts(m));
    const federated = await buildCivicSchema();
    const runs = new JobRuns(SCHEMA);
    let consumer: EventConsumer | null = null;
    let queue: JobQueue<RhythmJobData> | null = null;
    let worker: JobWorker<RhythmJobData> | null = null;
    return {
      name: 'civic',
      federated,
      dataSource: ds,
      ready: async () => (await ds.query('SELECT 1')).length === 1,
      async startWorkers() {
        consumer = new EventConsumer({ dataSource: ds, schema: SCHEMA, consumer: 'civic', connection: deps.queue, handlers: residentHandlers, prefix: deps.queuePrefix, log: deps.log });
        await consumer.start();
        queue = createQueue<RhythmJobData>(RHYTHM_QUEUE, deps.queue, { prefix: deps.queuePrefix });
        for (const s of RHYTHM_SCHEDULES) {
          await schedule(queue, s.id, { pattern: s.pattern }, { name: s.data.kind, data: s.data, opts: { attempts: 5, backoff: { type: 'exponential', delay: 10_000 } } });
        }
        worker = createWorker<RhythmJobData>(
          RHYTHM_QUEUE,
          (job) => runRhythmJob({ dataSource: ds, runs, clock: deps.clock, ledger }, job.data, { onProgress: (p) => job.updateProgress(p) }),
          deps.queue,
          { prefix: deps.queuePrefix, concurrency: 1 },
        );
        worker.on('failed', (job, err) => deps.log?.(`civic: rhythm job ${job?.name} failed: ${err.message}`));
        await worker.waitUntilReady();
      },
      seedDemo: (o) => seedCivicDemo(ds, ledger, deps.clock, o),
      async close() {
        if (worker) await worker.close();
        if (consumer) await consumer.stop();
        if (queue) await queue.close();
        await ds.destroy();
        if (civicDb.ds === ds) civicDb.ds = null;
      },
    };
  },
};

export { SCHEMA as CIVIC_SCHEMA };
export { runRhythmJob, previousPeriod, type RhythmJobData, type RhythmKind } from './rhythm/rhythm.jobs';
export { creditFor } from './records/record.rules';
