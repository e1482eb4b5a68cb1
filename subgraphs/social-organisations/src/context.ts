import type { DataSource } from 'typeorm';
import { cityDate, systemClock, type Clock } from '@citypoints/kit';

export const SCHEMA = 'social_organisations';
export const CONSUMER = 'social-organisations';

/** The subgraph's services reach the database and the clock through this holder, set once at start. */
export const socialDb: { ds: DataSource | null; clock: Clock } = { ds: null, clock: systemClock };

export function db(): DataSource {
  if (!socialDb.ds) throw new Error('social-organisations database is not open');
  return socialDb.ds;
}

export function clock(): Clock {
  return socialDb.clock;
}

/** The current year in the city's time zone. */
export function cityYear(): number {
  return Number(cityDate(clock().now()).slice(0, 4));
}
