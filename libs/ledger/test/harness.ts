import { DataSource, EntityManager } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@citypoints/db';
import type { Clock } from '@citypoints/kit';
import { Ledger, ledgerMigrationSql } from '@citypoints/ledger';

export const SCHEMA = 'civic';

export interface Harness {
  db: TestDatabase;
  ds: DataSource;
  ledger: Ledger;
  tx<T>(fn: (m: EntityManager) => Promise<T>): Promise<T>;
  count(table: string, where?: string, params?: unknown[]): Promise<number>;
  close(): Promise<void>;
}

/** A fresh database with the ledger migrated into SCHEMA, as a subgraph's migration would do. */
export async function openHarness(label: string, clock?: Clock): Promise<Harness> {
  const db = await createTestDatabase(label);
  const ds = new DataSource({ type: 'postgres', url: db.url, schema: SCHEMA, entities: [], extra: { max: 20 } });
  await ds.initialize();
  await ds.query(`CREATE SCHEMA "${SCHEMA}"`);
  await ds.transaction(async (m) => {
    for (const s of ledgerMigrationSql(SCHEMA).up) await m.query(s);
  });
  return {
    db,
    ds,
    ledger: new Ledger({ schema: SCHEMA, clock }),
    tx: (fn) => ds.transaction(fn),
    async count(table, where = 'true', params = []) {
      const rows: { n: string }[] = await ds.query(`SELECT count(*) AS n FROM "${SCHEMA}"."${table}" WHERE ${where}`, params);
      return Number(rows[0].n);
    },
    async close() {
      await ds.destroy();
      await db.drop();
    },
  };
}

/** Runs every promise to the end, so a test can count outcomes instead of stopping at the first failure. */
export async function settleAll<T>(promises: Promise<T>[]) {
  const results = await Promise.allSettled(promises);
  return {
    ok: results.filter((r): r is PromiseFulfilledResult<Awaited<T>> => r.status === 'fulfilled').map((r) => r.value),
    errors: results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as { code?: string }),
  };
}
