import type { OwnerClient } from '@citypoints/events';
import type { DataSource } from 'typeorm';
import type { SubgraphContext } from '@citypoints/federation';
import type { JobRuns, Lifecycle } from '@citypoints/jobs';
import type { Clock } from '@citypoints/kit';
import type { Ledger } from '@citypoints/ledger';
import type { CivicOptions } from './config';
import type { RedemptionNotices } from './exchange/redemption-notices';

/**
 * Everything the civic subgraph works with, built once by `create()` and handed down: resolvers
 * reach it as `ctx.rt`, services and jobs take it (or the parts they need) as a parameter.
 */
export interface CivicRuntime {
  ds: DataSource;
  clock: Clock;
  ledger: Ledger;
  runs: JobRuns;
  /** the volunteer-points saga's bounds (src/config.ts) */
  options: CivicOptions;
  /** wakes a redeem waiting for volunteering's decision when the redemption settles */
  notices: RedemptionNotices;
  /** asks registry for a resident, enterprise or organisation this subgraph has not heard of yet (read-your-writes) */
  registry?: OwnerClient;
  /** every closable of the instance (workers, queues, the pool) is registered here */
  lifecycle: Lifecycle;
  log?: (message: string) => void;
}

export type Ctx = SubgraphContext<CivicRuntime>;
