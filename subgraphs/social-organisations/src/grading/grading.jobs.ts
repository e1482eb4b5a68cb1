import type { Job } from 'bullmq';
import { createWorker, schedule, type JobWorker, type QueueConnection } from '@citypoints/jobs';
import { cityYear, type GradingJob, type SocialOrganisationsRuntime } from '../runtime';
import { gradeRun, gradeYear, toGradingRun } from './grading.run';

export const GRADING_QUEUE = 'social-organisations.grading';
/** 03:00 city time on 10 January: the past year's records are in by then */
export const YEARLY_GRADING_PATTERN = '0 3 10 1 *';

export type { GradingJob } from '../runtime';

/**
 * A grading job: a run asked for through the API (`runId`), or the yearly schedule's, whose run
 * is keyed by the year so a second firing or a retry resumes or returns the same run. Returns how
 * many organisations the run graded.
 */
export async function processGradingJob(rt: SocialOrganisationsRuntime, job: Job<GradingJob>): Promise<number> {
  const progress = (p: number) => job.updateProgress(Math.round(p * 100));
  if (job.data.runId) return toGradingRun(await gradeRun(rt, job.data.runId, progress)).graded;
  const year = job.data.year ?? cityYear(rt.clock) - 1;
  return gradeYear(rt, year, `scheduled:${year}`, progress);
}

/**
 * The grading worker and the yearly grading job. Its run is keyed by the year, so a second firing or a retry after a
 * crash resumes or returns the same run instead of grading twice.
 */
export async function startGradingJobs(rt: SocialOrganisationsRuntime, connection: QueueConnection, prefix: string | undefined): Promise<JobWorker<GradingJob>> {
  const worker = createWorker<GradingJob, number>(
    GRADING_QUEUE,
    (job) => processGradingJob(rt, job),
    connection,
    { prefix },
  );
  worker.on('error', (err) => rt.log(`social-organisations grading worker: ${String(err)}`));
  rt.lifecycle.worker('grading', worker);
  await worker.waitUntilReady();
  await schedule(rt.gradingQueue, 'social-organisations:yearly-grading', { pattern: YEARLY_GRADING_PATTERN }, {
    name: 'grade-past-year',
    data: {},
    opts: { attempts: 5, backoff: { type: 'exponential', delay: 10_000 }, removeOnComplete: 50, removeOnFail: 200 },
  });
  return worker;
}
