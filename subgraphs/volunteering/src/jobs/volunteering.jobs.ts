import { createQueue, createWorker, schedule, type JobQueue, type JobWorker, type QueueConnection } from '@citypoints/jobs';
import { clock, db, ledger } from '../context';
import { autoConfirm, expireNeeds, promoteBackups, type JobProgress } from '../needs/need.service';
import { EXPIRED_ACCOUNT } from '../points/points.service';

export const JOBS_QUEUE = 'volunteering.jobs';

/** Expired lots move to the expiry account batch by batch, each batch its own transaction. */
export async function expirePoints(progress?: JobProgress): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await db().transaction((m) => ledger().expireLots(m, { now: clock().now(), expiryAccountId: EXPIRED_ACCOUNT, batchSize: 200 }));
    total += n;
    if (n === 0) return total;
    await progress?.(total);
  }
}

/** Every job acts on what is due at the clock's now and skips what is done, so it can run twice. */
export const VOLUNTEERING_JOBS = {
  'promote-backups': promoteBackups,
  'expire-needs': expireNeeds,
  'auto-confirm': autoConfirm,
  'expire-points': expirePoints,
} as const;
export type VolunteeringJob = keyof typeof VOLUNTEERING_JOBS;

export function runVolunteeringJob(name: VolunteeringJob, progress?: JobProgress): Promise<number> {
  const job = VOLUNTEERING_JOBS[name];
  if (!job) throw new Error(`unknown volunteering job ${name}`);
  return job(progress);
}

const SCHEDULES: { id: VolunteeringJob; repeat: { every?: number; pattern?: string } }[] = [
  { id: 'promote-backups', repeat: { every: 5 * 60_000 } },
  { id: 'expire-needs', repeat: { every: 15 * 60_000 } },
  { id: 'auto-confirm', repeat: { every: 15 * 60_000 } },
  { id: 'expire-points', repeat: { pattern: '30 2 * * *' } },
];

export interface VolunteeringWorkers {
  queue: JobQueue<Record<string, never>, number>;
  worker: JobWorker<Record<string, never>, number>;
}

export async function startVolunteeringJobs(connection: QueueConnection, prefix: string | undefined, log: (m: string) => void): Promise<VolunteeringWorkers> {
  const queue = createQueue<Record<string, never>, number>(JOBS_QUEUE, connection, { prefix });
  queue.on('error', (err) => log(`queue ${JOBS_QUEUE}: ${String(err)}`));
  const worker = createWorker<Record<string, never>, number>(JOBS_QUEUE, (job) => runVolunteeringJob(job.name as VolunteeringJob, (done) => job.updateProgress({ done })), connection, { prefix, concurrency: 1 });
  worker.on('error', (err) => log(`worker ${JOBS_QUEUE}: ${String(err)}`));
  worker.on('failed', (job, err) => log(`volunteering job ${job?.name} failed: ${err.message}`));
  await worker.waitUntilReady();
  for (const s of SCHEDULES) {
    await schedule(queue, `volunteering:${s.id}`, s.repeat, { name: s.id, data: {}, opts: { removeOnComplete: 100, removeOnFail: 500, attempts: 3, backoff: { type: 'exponential', delay: 5000 } } });
  }
  return { queue, worker };
}
