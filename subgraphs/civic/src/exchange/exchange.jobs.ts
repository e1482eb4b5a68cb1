import { createQueue, createWorker, schedule, type QueueConnection } from '@citypoints/jobs';
import type { CivicRuntime } from '../runtime';
import { resumePendingRedemptions } from './volunteer-redemption';

export const EXCHANGE_QUEUE = 'civic.exchange';
const RESUME_JOB = 'resume-pending-redemptions';

/** The saga's recovery, every minute: redemptions pending too long are asked for again. */
export async function startExchangeJobs(rt: CivicRuntime, connection: QueueConnection, prefix?: string): Promise<void> {
  const queue = rt.lifecycle.queue('exchange', createQueue(EXCHANGE_QUEUE, connection, { prefix }));
  await schedule(queue, `civic:${RESUME_JOB}`, { every: 60_000 }, { name: RESUME_JOB, data: {}, opts: { attempts: 3, backoff: { type: 'exponential', delay: 5_000 } } });
  const worker = rt.lifecycle.worker('exchange', createWorker(EXCHANGE_QUEUE, () => resumePendingRedemptions(rt), connection, { prefix, concurrency: 1 }));
  worker.on('failed', (job, err) => rt.log?.(`civic: ${job?.name} failed: ${err.message}`));
  await worker.waitUntilReady();
}
