import type { OwnerClient } from '@citypoints/events';
import type { DataSource } from 'typeorm';
import type { SubgraphContext } from '@citypoints/federation';
import type { JobQueue, Lifecycle } from '@citypoints/jobs';
import type { Clock } from '@citypoints/kit';
import type { Ledger } from '@citypoints/ledger';

export const SCHEMA = 'volunteering';

/**
 * What the subgraph's resolvers, services and jobs work with, built once by `create()` (time is
 * injected: tests pass a FixedClock to startCity).
 */
export interface VolunteeringRuntime {
  ds: DataSource;
  clock: Clock;
  /** the time bank's points */
  ledger: Ledger;
  jobsQueue: JobQueue<Record<string, never>, number>;
  /** asks registry for a resident, enterprise or organisation this subgraph has not heard of yet (read-your-writes) */
  registry?: OwnerClient;
  lifecycle: Lifecycle;
  log: (message: string) => void;
}

export type Ctx = SubgraphContext<VolunteeringRuntime>;
