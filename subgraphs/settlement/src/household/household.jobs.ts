import { createQueue, createWorker, schedule, type JobQueue, type JobWorker } from '@citypoints/jobs';
import type { SubgraphDeps } from '@citypoints/federation';
import { cityDate } from '@citypoints/kit';
import type { SettlementRuntime } from '../runtime';
import { flagOverdueStages } from './household.service';

export const OVERDUE_QUEUE = 'settlement.hukou-overdue';
export const OVERDUE_SCHEDULER_ID = 'settlement-hukou-overdue-daily';

export function createOverdueQueue(deps: SubgraphDeps): JobQueue<Record<string, never>> {
  return createQueue<Record<string, never>>(OVERDUE_QUEUE, deps.queue, { prefix: deps.queuePrefix });
}

/** The daily sweep at 06:00 city time: flags each household stage whose due date has passed. */
export async function startOverdueJobs(rt: SettlementRuntime, deps: SubgraphDeps): Promise<JobWorker<Record<string, never>, number>> {
  const worker = createWorker<Record<string, never>, number>(OVERDUE_QUEUE, () => flagOverdueStages(rt.ds, cityDate(rt.clock.now())), deps.queue, { prefix: deps.queuePrefix });
  worker.on('failed', (_job, err) => rt.log(`settlement: overdue sweep failed: ${err.message}`));
  await schedule(rt.queues.overdue, OVERDUE_SCHEDULER_ID, { pattern: '0 6 * * *' }, { name: 'flag-overdue-stages', data: {}, opts: { attempts: 3, backoff: { type: 'exponential', delay: 5000 } } });
  return worker;
}
