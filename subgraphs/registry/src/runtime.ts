import type { DataSource } from 'typeorm';
import type { InternalCalls, SubgraphContext } from '@citypoints/federation';
import type { Lifecycle } from '@citypoints/jobs';
import type { Clock } from '@citypoints/kit';

export const SCHEMA = 'registry';

/** What registry's resolvers and services work with, built once by `create()` and handed down. */
export interface RegistryRuntime {
  ds: DataSource;
  clock: Clock;
  lifecycle: Lifecycle;
  log: (message: string) => void;
  /** where the other subgraphs listen, for the parts of a resident's own data (absent: none are asked) */
  internal?: InternalCalls;
}

export type Ctx = SubgraphContext<RegistryRuntime>;
