import { Job, JobSchedulerTemplateOptions } from 'bullmq';
import { JobQueue } from './factory';

/** The city's time zone: cron patterns are written in local time. */
export const DEFAULT_SCHEDULE_TZ = 'Asia/Shanghai';

export interface ScheduleRepeat {
  /** cron pattern, evaluated in `tz` */
  pattern?: string;
  /** interval in milliseconds */
  every?: number;
  tz?: string;
}

export interface ScheduleTemplate<D> {
  name: string;
  data: D;
  opts?: JobSchedulerTemplateOptions;
}

/**
 * Registers (or replaces) the scheduler `stableId`. Calling it at every start-up is safe: the id
 * makes it an upsert, so restarts and replicas never multiply a schedule.
 */
export function schedule<D>(
  queue: JobQueue<D>,
  stableId: string,
  repeat: ScheduleRepeat,
  template: ScheduleTemplate<D>,
): Promise<Job<D>> {
  if ((repeat.pattern === undefined) === (repeat.every === undefined)) {
    throw new Error(`schedule ${stableId}: give exactly one of pattern or every`);
  }
  if (repeat.every !== undefined && !(Number.isInteger(repeat.every) && repeat.every > 0)) {
    throw new Error(`schedule ${stableId}: every must be a positive whole number of milliseconds`);
  }
  const repeatOpts =
    repeat.pattern !== undefined
      ? { pattern: repeat.pattern, tz: repeat.tz ?? DEFAULT_SCHEDULE_TZ }
      : { every: repeat.every, ...(repeat.tz ? { tz: repeat.tz } : {}) };
  return queue.upsertJobScheduler(stableId, repeatOpts, {
    name: template.name,
    data: template.data,
    ...(template.opts ? { opts: template.opts } : {}),
  }) as Promise<Job<D>>;
}
