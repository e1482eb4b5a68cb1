import { createQueue, createWorker, type JobQueue, type JobWorker } from '@citypoints/jobs';
import type { SubgraphDeps } from '@citypoints/federation';
import type { AdmissionJob, SettlementRuntime } from '../runtime';
import { performAdmissionRun, type AdmissionOutcome } from './admission.service';

export const ADMISSION_QUEUE = 'settlement.admission';
export type { AdmissionJob };

export function createAdmissionQueue(deps: SubgraphDeps): JobQueue<AdmissionJob> {
  return createQueue<AdmissionJob>(ADMISSION_QUEUE, deps.queue, {
    prefix: deps.queuePrefix,
    defaultJobOptions: { attempts: 5, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { age: 7 * 24 * 3600 }, removeOnFail: false },
  });
}

/** Runs queued admission runs; the job id is the run id, so a run is queued at most once. */
export function startAdmissionWorker(rt: SettlementRuntime, deps: SubgraphDeps): JobWorker<AdmissionJob, AdmissionOutcome | null> {
  const worker = createWorker<AdmissionJob, AdmissionOutcome | null>(ADMISSION_QUEUE, (job) => performAdmissionRun(rt, job.data.runId, (p) => job.updateProgress(p)), deps.queue, {
    prefix: deps.queuePrefix,
    concurrency: 4,
  });
  worker.on('failed', (job, err) => rt.log(`settlement: admission run ${job?.data.runId} failed: ${err.message}`));
  return worker;
}
