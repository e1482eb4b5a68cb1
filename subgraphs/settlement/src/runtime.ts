import type { OwnerClient } from '@citypoints/events';
import type { DataSource } from 'typeorm';
import { Ctx as ContextDecorator } from 'type-graphql';
import type { SubgraphContext } from '@citypoints/federation';
import type { JobQueue, JobRuns, Lifecycle } from '@citypoints/jobs';
import type { Clock } from '@citypoints/kit';

export interface AdmissionJob {
  runId: string;
}

export interface SimulationJob {
  simulationId: string;
}

/**
 * Everything settlement's code reaches at run time, built once by `create()` and handed down:
 * to resolvers as `ctx.rt`, to services and job processors as a parameter.
 */
export interface SettlementRuntime {
  ds: DataSource;
  clock: Clock;
  runs: JobRuns;
  queues: {
    admission: JobQueue<AdmissionJob>;
    overdue: JobQueue<Record<string, never>>;
    finalise: JobQueue<Record<string, never>>;
    simulation: JobQueue<SimulationJob>;
  };
  /** asks registry for a resident, enterprise or organisation this subgraph has not heard of yet (read-your-writes) */
  registry?: OwnerClient;
  /** every closable (workers, queues, consumer, database) in shutdown order */
  lifecycle: Lifecycle;
  /** counters an operator watches: working-day computations that reached a year without a calendar, by year */
  metrics: { calendarMissing: Record<number, number> };
  log: (message: string) => void;
}

/** A resolver's context (`@Ctx() ctx: Ctx`): the caller, the request's loaders, and the runtime as `rt`. */
export type Ctx = SubgraphContext<SettlementRuntime>;
/** type-graphql's context parameter decorator, under the same name as the context's type. */
export const Ctx = ContextDecorator;
