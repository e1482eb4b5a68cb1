import type { DataSource } from 'typeorm';
import type { SubgraphContext } from '@citypoints/federation';

export const SCHEMA = 'registry';

/** The registry's services reach the database through this holder, set once at start. */
export const registryDb: { ds: DataSource | null } = { ds: null };

export function db(): DataSource {
  if (!registryDb.ds) throw new Error('registry database is not open');
  return registryDb.ds;
}

export type Ctx = SubgraphContext;
