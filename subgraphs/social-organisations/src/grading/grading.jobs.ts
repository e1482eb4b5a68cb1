import type { SubgraphDeps } from '@citypoints/federation';
import { createQueue, createWorker, schedule, type JobQueue, type JobWorker } from '@citypoints/jobs';
import { cityYear } from '../context';
import { gradeYear } from './grading.service';

export const GRADING_QUEUE = 'social-organisations.grading';
/** 03:00 city time on 10 January: the past year's records are in by then */
export const YEARLY_GRADING_PATTERN = '0 3 10 1 *';

export interface GradingJob {
  /** the year to grade; the scheduled job grades the year that just ended */
  year?: number;
}

/**
 * The yearly grading job. Its run is keyed by the year, so a second firing or a retry after a
 * crash resumes or returns the same run instead of grading twice.
 */
export async function startGradingJobs(deps: SubgraphDeps): Promise<{ queue: JobQueue<GradingJob>; worker: JobWorker<GradingJob> }> {
  const queue = createQueue<GradingJob>(GRADING_QUEUE, deps.queue, { prefix: deps.queuePrefix });
  const worker = createWorker<GradingJob, number>(
    GRADING_QUEUE,
    async (job) => {
      const year = job.data.year ?? cityYear() - 1;
      return gradeYear(year, `scheduled:${year}`, (p) => job.updateProgress(Math.round(p * 100)));
    },
    deps.queue,
    { prefix: deps.queuePrefix },
  );
  worker.on('error', (err) => deps.log?.(`social-organisations grading worker: ${String(err)}`));
  await worker.waitUntilReady();
  await schedule(queue, 'social-organisations:yearly-grading', { pattern: YEARLY_GRADING_PATTERN }, {
    name: 'grade-past-year',
    data: {},
    opts: { attempts: 5, backoff: { type: 'exponential', delay: 10_000 }, removeOnComplete: 50, removeOnFail: 200 },
  });
  return { queue, worker };
}
