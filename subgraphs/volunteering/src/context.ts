import type { DataSource } from 'typeorm';
import { systemClock, type Clock } from '@citypoints/kit';
import { Ledger } from '@citypoints/ledger';

export const SCHEMA = 'volunteering';

/**
 * The services reach the database, the ledger and the clock through this holder, set once when
 * the instance is created (time is injected: tests pass a FixedClock to startCity).
 */
export const volunteeringRuntime: { ds: DataSource | null; clock: Clock; ledger: Ledger } = {
  ds: null,
  clock: systemClock,
  ledger: new Ledger({ schema: SCHEMA }),
};

export function db(): DataSource {
  if (!volunteeringRuntime.ds) throw new Error('volunteering database is not open');
  return volunteeringRuntime.ds;
}

export const clock = (): Clock => volunteeringRuntime.clock;
export const ledger = (): Ledger => volunteeringRuntime.ledger;
