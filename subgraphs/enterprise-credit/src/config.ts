import { z } from 'zod';

/** Tunables of this subgraph's jobs; defaults suit production, tests shrink them. */
export interface EnterpriseCreditOptions {
  /** enterprises per scoring chunk (one transaction each) */
  scoringChunkSize: number;
  /** chunks of one run scored at the same time, each on a connection of its own */
  scoringLanes: number;
  /** delivery attempts of one webhook call before it goes to the dead-letter list */
  webhookAttempts: number;
  /** first retry delay of a webhook call; doubles per attempt */
  webhookBackoffMs: number;
  /** how long a worker's lock on a job lasts; a dead worker's job is picked up again after it */
  jobLockMs: number;
}

const EnvOptions = z.object({
  ENTERPRISE_CREDIT_SCORING_CHUNK: z.coerce.number().int().min(1).max(1_000_000).default(25_000),
  ENTERPRISE_CREDIT_SCORING_LANES: z.coerce.number().int().min(1).max(16).default(2),
  ENTERPRISE_CREDIT_WEBHOOK_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  ENTERPRISE_CREDIT_WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(1).default(5_000),
  ENTERPRISE_CREDIT_JOB_LOCK_MS: z.coerce.number().int().min(500).default(30_000),
});

/** Reads the options from the environment once; a wrong value stops with the variable's name. */
export function optionsFromEnv(source: Record<string, string | undefined> = process.env): EnterpriseCreditOptions {
  const parsed = EnvOptions.safeParse(source);
  if (!parsed.success) {
    throw new Error('invalid environment:\n' + parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n'));
  }
  const e = parsed.data;
  return {
    scoringChunkSize: e.ENTERPRISE_CREDIT_SCORING_CHUNK,
    scoringLanes: e.ENTERPRISE_CREDIT_SCORING_LANES,
    webhookAttempts: e.ENTERPRISE_CREDIT_WEBHOOK_ATTEMPTS,
    webhookBackoffMs: e.ENTERPRISE_CREDIT_WEBHOOK_BACKOFF_MS,
    jobLockMs: e.ENTERPRISE_CREDIT_JOB_LOCK_MS,
  };
}
