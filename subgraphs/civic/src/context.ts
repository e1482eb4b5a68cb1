import type { DataSource } from 'typeorm';
import type { SubgraphContext } from '@citypoints/federation';
import { systemClock, type Clock } from '@citypoints/kit';
import { Ledger } from '@citypoints/ledger';

export const SCHEMA = 'civic';
export const CITY_CODE = '441900';

/** The civic services reach the database, the clock and the ledger through this holder, set once at start. */
export const civicDb: { ds: DataSource | null; clock: Clock; ledger: Ledger } = {
  ds: null,
  clock: systemClock,
  ledger: new Ledger({ schema: SCHEMA }),
};

export function db(): DataSource {
  if (!civicDb.ds) throw new Error('civic database is not open');
  return civicDb.ds;
}

export const clock = (): Clock => civicDb.clock;
export const ledger = (): Ledger => civicDb.ledger;

export type Ctx = SubgraphContext;
