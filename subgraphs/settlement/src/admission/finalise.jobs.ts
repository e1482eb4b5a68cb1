import { createQueue, createWorker, schedule, type JobQueue, type JobWorker } from '@citypoints/jobs';
import type { SubgraphDeps } from '@citypoints/federation';
import { cityDate } from '@citypoints/kit';
import type { SettlementRuntime } from '../runtime';
import { finalisePools, type FinaliseOutcome } from './finalise.service';

export const FINALISE_QUEUE = 'settlement.admission-finalise';
export const FINALISE_SCHEDULER_ID = 'settlement-admission-finalise-hourly';

export function createFinaliseQueue(deps: SubgraphDeps): JobQueue<Record<string, never>> {
  return createQueue<Record<string, never>>(FINALISE_QUEUE, deps.queue, { prefix: deps.queuePrefix });
}

/** Every hour (at :10, city time): finalises the pools whose publicity has closed (finalise.service.ts). */
export async function startFinaliseJobs(rt: SettlementRuntime, deps: SubgraphDeps): Promise<JobWorker<Record<string, never>, FinaliseOutcome>> {
  const worker = createWorker<Record<string, never>, FinaliseOutcome>(FINALISE_QUEUE, () => finalisePools(rt, cityDate(rt.clock.now())), deps.queue, { prefix: deps.queuePrefix });
  worker.on('failed', (_job, err) => rt.log(`settlement: finalising admission pools failed: ${err.message}`));
  await schedule(rt.queues.finalise, FINALISE_SCHEDULER_ID, { pattern: '10 * * * *' }, { name: 'finalise-pools', data: {}, opts: { attempts: 3, backoff: { type: 'exponential', delay: 5000 } } });
  return worker;
}
