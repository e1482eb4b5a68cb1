import type { DataSource } from 'typeorm';
import { createQueue, createWorker, schedule, type JobQueue, type JobWorker } from '@citypoints/jobs';
import type { SubgraphDeps } from '@citypoints/federation';
import { cityDate } from '@citypoints/kit';
import { flagOverdueStages } from './household.service';

export const OVERDUE_QUEUE = 'settlement.hukou-overdue';
export const OVERDUE_SCHEDULER_ID = 'settlement-hukou-overdue-daily';

/** The daily sweep at 06:00 city time: flags each household stage whose due date has passed. */
export async function startOverdueJobs(deps: SubgraphDeps, ds: DataSource): Promise<{ queue: JobQueue<Record<string, never>>; worker: JobWorker<Record<string, never>, number> }> {
  const queue = createQueue<Record<string, never>>(OVERDUE_QUEUE, deps.queue, { prefix: deps.queuePrefix });
  const worker = createWorker<Record<string, never>, number>(OVERDUE_QUEUE, () => flagOverdueStages(ds, cityDate(deps.clock.now())), deps.queue, { prefix: deps.queuePrefix });
  worker.on('failed', (_job, err) => deps.log?.(`settlement: overdue sweep failed: ${err.message}`));
  await schedule(queue, OVERDUE_SCHEDULER_ID, { pattern: '0 6 * * *' }, { name: 'flag-overdue-stages', data: {}, opts: { attempts: 3, backoff: { type: 'exponential', delay: 5000 } } });
  return { queue, worker };
}
