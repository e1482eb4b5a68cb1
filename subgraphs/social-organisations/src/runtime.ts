import type { OwnerClient } from '@citypoints/events';
import type { DataSource } from 'typeorm';
import type { SubgraphContext } from '@citypoints/federation';
import type { JobQueue, JobQueueEvents, JobRuns, Lifecycle } from '@citypoints/jobs';
import { cityDate, type Clock } from '@citypoints/kit';
import type { Ledger } from '@citypoints/ledger';

export const SCHEMA = 'social_organisations';
export const CONSUMER = 'social-organisations';

export interface GradingJob {
  /** the run to carry out; absent, the scheduled job grades the year that just ended */
  runId?: string;
  year?: number;
}

export interface SocialOrganisationsOptions {
  /** organisations regraded per transaction of a grading run */
  gradingChunkSize: number;
  /** how long runOrganisationGrading waits for the worker to finish the run it queued */
  gradingWaitMs: number;
}

export const DEFAULT_OPTIONS: SocialOrganisationsOptions = Object.freeze({ gradingChunkSize: 1000, gradingWaitMs: 10 * 60_000 });

/** What the subgraph's resolvers, services, jobs and event handlers work with, built once by `create()`. */
export interface SocialOrganisationsRuntime {
  ds: DataSource;
  clock: Clock;
  /** the gradings' points accounts */
  ledger: Ledger;
  runs: JobRuns;
  /** asks registry for a resident, enterprise or organisation this subgraph has not heard of yet (read-your-writes) */
  registry?: OwnerClient;
  gradingQueue: JobQueue<GradingJob>;
  /** completions of grading jobs, for a request that waits for its run */
  gradingEvents: JobQueueEvents;
  options: SocialOrganisationsOptions;
  lifecycle: Lifecycle;
  log: (message: string) => void;
}

export type Ctx = SubgraphContext<SocialOrganisationsRuntime>;

/** The current year in the city's time zone. */
export function cityYear(clock: Clock): number {
  return Number(cityDate(clock.now()).slice(0, 4));
}
