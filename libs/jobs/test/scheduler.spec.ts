import { createTestDatabase, TestDatabase } from '@citypoints/db';
import { createQueue, createWorker, DEFAULT_SCHEDULE_TZ, Lifecycle, schedule } from '../src';
import { BACKENDS, connectionFor, uniqueName, until } from './backends';

describe.each(BACKENDS)('job schedulers on $label', ({ kind, available }) => {
  const maybe = available ? it : it.skip;
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('jobs_sched');
  });
  afterAll(async () => {
    await db.drop();
  });

  maybe('upserts one scheduler per id, runs its jobs on a worker, and removes it', async () => {
    const conn = connectionFor(kind, db.url);
    const name = uniqueName('sched');
    const prefix = uniqueName('cptest');
    const lifecycle = new Lifecycle();
    const queue = lifecycle.queue('q', createQueue<{ n: number }>(name, conn, { prefix }));
    const seen: { name: string; data: { n: number } }[] = [];
    const threeRuns = until<void>('three scheduled jobs');
    lifecycle.worker(
      'w',
      createWorker<{ n: number }>(
        name,
        async (job) => {
          seen.push({ name: job.name, data: job.data });
          if (seen.length === 3) threeRuns.done();
        },
        conn,
        { prefix },
      ),
    );
    try {
      await schedule(queue, 'tick', { every: 200 }, { name: 'tick', data: { n: 1 } });
      await schedule(queue, 'tick', { every: 200 }, { name: 'tick', data: { n: 1 } });
      expect(await queue.getJobSchedulers()).toHaveLength(1);

      await threeRuns.promise;
      expect(seen.slice(0, 3)).toEqual([0, 1, 2].map(() => ({ name: 'tick', data: { n: 1 } })));

      await schedule(queue, 'nightly', { pattern: '0 3 * * *' }, { name: 'nightly', data: { n: 2 } });
      const schedulers = await queue.getJobSchedulers();
      expect(schedulers.map((s) => s.key).sort()).toEqual(['nightly', 'tick']);
      expect(schedulers.find((s) => s.key === 'nightly')?.tz).toBe(DEFAULT_SCHEDULE_TZ);

      expect(await queue.removeJobScheduler('tick')).toBe(true);
      expect(await queue.removeJobScheduler('nightly')).toBe(true);
      expect(await queue.getJobSchedulers()).toHaveLength(0);
    } finally {
      await queue.obliterate({ force: true });
      await lifecycle.shutdown();
    }
  });

  maybe('refuses a schedule with both or neither of pattern and every', async () => {
    const conn = connectionFor(kind, db.url);
    const queue = createQueue(uniqueName('sched-bad'), conn, { prefix: uniqueName('cptest') });
    try {
      expect(() => schedule(queue, 'x', {}, { name: 'x', data: {} })).toThrow(/exactly one/);
      expect(() => schedule(queue, 'x', { every: 10, pattern: '* * * * *' }, { name: 'x', data: {} })).toThrow(/exactly one/);
    } finally {
      await queue.close();
    }
  });
});
