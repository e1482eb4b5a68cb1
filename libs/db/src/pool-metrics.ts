import type { DataSource } from 'typeorm';
import { addGaugeReader } from '@citypoints/log';

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

/** The pg pool under a TypeORM DataSource: its connections in use, idle, and callers waiting. */
export function poolStats(ds: DataSource): PoolStats | null {
  const pool = (ds.driver as unknown as { master?: { totalCount: number; idleCount: number; waitingCount: number } }).master;
  if (!pool) return null;
  return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
}

/**
 * Registers the pool (and the schema's outbox, when it has one) with /metrics; unregistered when
 * the DataSource is destroyed.
 */
export function instrumentPool(ds: DataSource, schema: string): void {
  const removePool = addGaugeReader('pool', (set) => {
    const s = ds.isInitialized ? poolStats(ds) : null;
    if (!s) return;
    set({ schema, state: 'total' }, s.total);
    set({ schema, state: 'idle' }, s.idle);
    set({ schema, state: 'waiting' }, s.waiting);
  });
  const removeOutbox = addGaugeReader('outboxLag', async (set) => {
    if (!ds.isInitialized) return;
    const rows: { lag: number | null; present: boolean }[] = await ds.query(
      `SELECT to_regclass($1) IS NOT NULL AS present, NULL::float8 AS lag`,
      [`"${schema}"."outbox"`],
    );
    if (!rows[0]?.present) return;
    const lag: { lag: string | null }[] = await ds.query(`SELECT EXTRACT(EPOCH FROM clock_timestamp() - min(created_at)) AS lag FROM "${schema}"."outbox" WHERE relayed_at IS NULL`);
    set({ schema }, lag[0]?.lag == null ? 0 : Number(lag[0].lag));
  });
  const destroy = ds.destroy.bind(ds);
  ds.destroy = async () => {
    removePool();
    removeOutbox();
    return destroy();
  };
}
