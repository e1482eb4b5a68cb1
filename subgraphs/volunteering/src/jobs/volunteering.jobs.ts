import { createWorker, schedule, type QueueConnection } from '@citypoints/jobs';
import type { VolunteeringRuntime } from '../runtime';
import { autoConfirm, expireNeeds, promoteBackups, type JobProgress } from '../needs/need.service';
import { EXPIRED_ACCOUNT } from '../points/points.service';

export const JOBS_QUEUE = 'volunteering.jobs';

/** Expired lots move to the expiry account batch by batch, each batch its own transaction. */
export async function expirePoints(rt: VolunteeringRuntime, progress?: JobProgress): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await rt.ds.transaction((m) => rt.ledger.expireLots(m, { now: rt.clock.now(), expiryAccountId: EXPIRED_ACCOUNT, batchSize: 200 }));
    total += n;
    if (n === 0) return total;
    await progress?.(total);
  }
}

/** Every job acts on what is due at the clock's now and skips what is done, so it can run twice. */
export const VOLUNTEERING_JOBS = Object.freeze({
  'promote-backups': promoteBackups,
  'expire-needs': expireNeeds,
  'auto-confirm': autoConfirm,
  'expire-points': expirePoints,
});
export type VolunteeringJob = keyof typeof VOLUNTEERING_JOBS;

export function runVolunteeringJob(rt: VolunteeringRuntime, name: VolunteeringJob, progress?: JobProgress): Promise<number> {
  const job = VOLUNTEERING_JOBS[name];
  if (!job) throw new Error(`unknown volunteering job ${name}`);
  return job(rt, progress);
}

const SCHEDULES: readonly { id: VolunteeringJob; repeat: { every?: number; pattern?: string } }[] = Object.freeze([
  { id: 'promote-backups', repeat: { every: 5 * 60_000 } },
  { id: 'expire-needs', repeat: { every: 15 * 60_000 } },
  { id: 'auto-confirm', repeat: { every: 15 * 60_000 } },
  { id: 'expire-points', repeat: { pattern: '30 2 * * *' } },
]);

/** The worker of the jobs queue, registered with the runtime's lifecycle, and the schedules. */
export async function startVolunteeringJobs(rt: VolunteeringRuntime, connection: QueueConnection, prefix: string | undefined): Promise<void> {
  const queue = rt.jobsQueue;
  queue.on('error', (err) => rt.log(`queue ${JOBS_QUEUE}: ${String(err)}`));
  const worker = createWorker<Record<string, never>, number>(JOBS_QUEUE, (job) => runVolunteeringJob(rt, job.name as VolunteeringJob, (done) => job.updateProgress({ done })), connection, { prefix, concurrency: 1 });
  worker.on('error', (err) => rt.log(`worker ${JOBS_QUEUE}: ${String(err)}`));
  worker.on('failed', (job, err) => rt.log(`volunteering job ${job?.name} failed: ${err.message}`));
  rt.lifecycle.worker('jobs', worker);
  await worker.waitUntilReady();
  for (const s of SCHEDULES) {
    await schedule(queue, `volunteering:${s.id}`, s.repeat, { name: s.id, data: {}, opts: { removeOnComplete: 100, removeOnFail: 500, attempts: 3, backoff: { type: 'exponential', delay: 5000 } } });
  }
}
