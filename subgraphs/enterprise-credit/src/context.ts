import type { DataSource } from 'typeorm';
import type { Clock } from '@citypoints/kit';
import type { JobQueue } from '@citypoints/jobs';
import type { EnterpriseCreditOptions } from './config';

export const SCHEMA = 'enterprise_credit';

export interface ScoringJob {
  runId: string;
}
export interface DeliveryJob {
  deliveryId: string;
}

/** What the services reach at run time, set once when the subgraph is created. */
export interface Runtime {
  ds: DataSource;
  clock: Clock;
  options: EnterpriseCreditOptions;
  scoringQueue: JobQueue<ScoringJob>;
  deliveryQueue: JobQueue<DeliveryJob>;
  log: (message: string) => void;
}

let current: Runtime | null = null;

export function setRuntime(r: Runtime | null): void {
  current = r;
}

/** Forgets `r` unless another instance has replaced it since. */
export function clearRuntime(r: Runtime): void {
  if (current === r) current = null;
}

export function runtime(): Runtime {
  if (!current) throw new Error('enterprise-credit is not started');
  return current;
}

export const db = () => runtime().ds;
export const now = () => runtime().clock.now();
