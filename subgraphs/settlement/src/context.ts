import type { DataSource } from 'typeorm';
import { systemClock, type Clock } from '@citypoints/kit';
import type { JobQueue } from '@citypoints/jobs';

export const SCHEMA = 'settlement';
export const CONSUMER = 'settlement';

/** What the services reach at run time, set once by `create` and cleared by `close`. */
export const settlementRuntime: {
  ds: DataSource | null;
  clock: Clock;
  admissionQueue: JobQueue<{ runId: string }> | null;
} = { ds: null, clock: systemClock, admissionQueue: null };

export function db(): DataSource {
  if (!settlementRuntime.ds) throw new Error('settlement database is not open');
  return settlementRuntime.ds;
}

export const clock = (): Clock => settlementRuntime.clock;
