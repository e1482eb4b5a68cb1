import type { OwnerClient } from '@citypoints/events';
import type { DataSource } from 'typeorm';
import type { Clock } from '@citypoints/kit';
import type { SubgraphContext, SubgraphDeps } from '@citypoints/federation';
import type { JobQueue, JobRuns, Lifecycle } from '@citypoints/jobs';
import type { EnterpriseCreditOptions } from './config';
import type { CreditPublisher } from './events';
import type { LabourRiskScheme } from './labour/labour.scheme';

export const SCHEMA = 'enterprise_credit';

export interface ScoringJob {
  runId: string;
}
export interface DeliveryJob {
  deliveryId: string;
}

/**
 * Everything enterprise-credit's code touches at run time, built once by `create()` and handed
 * down: to resolvers as `ctx.rt`, to services, job processors and event handlers as a parameter.
 */
export interface EnterpriseCreditRuntime {
  ds: DataSource;
  clock: Clock;
  options: EnterpriseCreditOptions;
  /** the `job_runs` rows of scoring runs */
  runs: JobRuns;
  queues: { scoring: JobQueue<ScoringJob>; deliveries: JobQueue<DeliveryJob> };
  /** asks registry for a resident, enterprise or organisation this subgraph has not heard of yet (read-your-writes) */
  registry?: OwnerClient;
  /** domain events, into this subgraph's outbox in the caller's transaction */
  publisher: CreditPublisher;
  /** published labour-risk scheme versions never change: each is read once per runtime */
  labourSchemes: Map<number, LabourRiskScheme>;
  /** how workers reach the queue backend */
  connection: Pick<SubgraphDeps, 'queue' | 'queuePrefix'>;
  /** counters of this instance: working-day computations that reached a year without a calendar */
  metrics: { calendarMissing: Record<number, number> };
  /** every closable of this instance; its `shutdown()` is the instance's `close()` */
  lifecycle: Lifecycle;
  log: (message: string) => void;
}

export type Ctx = SubgraphContext<EnterpriseCreditRuntime>;
