import { createTestDatabase, DataSource, openSubgraphDataSource, TestDatabase } from '@citypoints/db';
import { createQueue, createQueueEvents, createWorker, JobRuns, jobRunMigrationSql, Lifecycle, runChunked } from '../src';
import { BACKENDS, connectionFor, uniqueName } from './backends';

const SCHEMA = 'jobs_chunked';
const TOTAL = 100;
const CHUNK = 10;
const CRASH_AT = 50;

describe.each(BACKENDS)('chunked job on $label', ({ kind, available }) => {
  const maybe = available ? it : it.skip;
  let db: TestDatabase;
  let ds: DataSource;
  const runs = new JobRuns(SCHEMA);

  beforeAll(async () => {
    db = await createTestDatabase('jobs_chunked');
    ds = await openSubgraphDataSource({ url: db.url, schema: SCHEMA, entities: [], migrations: [] });
    for (const sql of jobRunMigrationSql(SCHEMA).up) await ds.query(sql);
    await ds.query(`CREATE TABLE "${SCHEMA}".written (run_id uuid NOT NULL, item integer NOT NULL)`);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db.drop();
  });

  maybe('resumes after a crash halfway and processes every item exactly once', async () => {
    const conn = connectionFor(kind, db.url);
    const name = uniqueName('chunked');
    const prefix = uniqueName('cptest');
    const lifecycle = new Lifecycle();
    const queue = lifecycle.queue('q', createQueue<{ runId: string }>(name, conn, { prefix }));
    const events = lifecycle.queue('events', createQueueEvents(name, conn, { prefix }));
    const calls: { attempt: number; offset: number }[] = [];
    const progress: number[] = [];
    lifecycle.worker(
      'w',
      createWorker<{ runId: string }>(
        name,
        async (job) => {
          await runChunked({
            dataSource: ds,
            runs,
            runId: job.data.runId,
            total: TOTAL,
            chunkSize: CHUNK,
            async processChunk(m, offset, limit) {
              calls.push({ attempt: job.attemptsMade, offset });
              await m.query(
                `INSERT INTO "${SCHEMA}".written (run_id, item) SELECT $1, g FROM generate_series($2::int, $3::int) g`,
                [job.data.runId, offset, offset + limit - 1],
              );
              // dies after writing half a job's worth, inside the chunk's transaction
              if (job.attemptsMade === 0 && offset === CRASH_AT) throw new Error('simulated crash');
              return { written: limit };
            },
            onProgress: async (p) => {
              progress.push(p);
              await job.updateProgress(Math.round(p * 100));
            },
          });
        },
        conn,
        { prefix },
      ),
    );
    try {
      await events.waitUntilReady();
      const run = await runs.create(ds, { kind: 'test.chunked', params: { total: TOTAL }, key: uniqueName('key') });
      const job = await queue.add('chunked', { runId: run.id }, { attempts: 3, backoff: { type: 'fixed', delay: 50 } });
      await job.waitUntilFinished(events, 30_000);

      const [{ n, distinct }] = await ds.query(
        `SELECT count(*)::int AS n, count(DISTINCT item)::int AS distinct FROM "${SCHEMA}".written WHERE run_id = $1`,
        [run.id],
      );
      expect({ n, distinct }).toEqual({ n: TOTAL, distinct: TOTAL });

      const offsets = (attempt: number) => calls.filter((c) => c.attempt === attempt).map((c) => c.offset);
      expect(offsets(0)).toEqual([0, 10, 20, 30, 40, 50]);
      expect(offsets(1)).toEqual([50, 60, 70, 80, 90]);
      expect(progress[progress.length - 1]).toBe(1);

      const done = await runs.get(ds, run.id);
      expect(done).toMatchObject({
        status: 'COMPLETED',
        progress: 1,
        attempts: 2,
        error: null,
        result: { total: TOTAL, written: TOTAL },
      });
      expect(done?.finishedAt).toBeInstanceOf(Date);

      // a third delivery of the finished run does nothing
      await runChunked({ dataSource: ds, runs, runId: run.id, total: TOTAL, chunkSize: CHUNK, processChunk: async () => {
        throw new Error('must not run');
      } });
      const [{ again }] = await ds.query(`SELECT count(*)::int AS again FROM "${SCHEMA}".written WHERE run_id = $1`, [run.id]);
      expect(again).toBe(TOTAL);
    } finally {
      await queue.obliterate({ force: true });
      await lifecycle.shutdown();
    }
  });
});
