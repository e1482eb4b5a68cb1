import { createTestDatabase, DataSource, openSubgraphDataSource, TestDatabase } from '@citypoints/db';
import { DomainError } from '@citypoints/kit';
import { JobRuns, jobRunMigrationSql } from '../src';

const SCHEMA = 'jobs_runs';

describe('JobRuns', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const runs = new JobRuns(SCHEMA);

  beforeAll(async () => {
    db = await createTestDatabase('jobs_runs');
    ds = await openSubgraphDataSource({ url: db.url, schema: SCHEMA, entities: [], migrations: [] });
    for (const sql of jobRunMigrationSql(SCHEMA).up) await ds.query(sql);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db.drop();
  });

  it('returns the existing run for a repeated idempotency key and refuses it for another kind', async () => {
    const a = await runs.create(ds, { kind: 'score.recompute', params: { month: '2025-01' }, key: 'recompute:2025-01' });
    const b = await runs.create(ds, { kind: 'score.recompute', params: { month: '2025-01' }, key: 'recompute:2025-01' });
    expect(b.id).toBe(a.id);
    expect(a).toMatchObject({ status: 'QUEUED', progress: 0, attempts: 0, params: { month: '2025-01' } });
    await expect(runs.create(ds, { kind: 'other', key: 'recompute:2025-01' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(runs.create(ds, { kind: 'other', key: 'recompute:2025-01' })).rejects.toBeInstanceOf(DomainError);

    const x = await runs.create(ds, { kind: 'score.recompute' });
    const y = await runs.create(ds, { kind: 'score.recompute' });
    expect(x.id).not.toBe(y.id);
  });

  it('walks a run through running, progress, failure, retry and completion', async () => {
    const run = await runs.create(ds, { kind: 'k' });
    expect((await runs.markRunning(ds, run.id)).status).toBe('RUNNING');
    const p = await runs.reportProgress(ds, run.id, 0.25, { read: 5 });
    expect(p).toMatchObject({ progress: 0.25, counters: { read: 5 } });
    expect((await runs.reportProgress(ds, run.id, 0.5, { written: 3 })).counters).toEqual({ read: 5, written: 3 });
    expect(await runs.fail(ds, run.id, new Error('boom'))).toMatchObject({ status: 'FAILED', error: 'boom' });
    expect(await runs.markRunning(ds, run.id)).toMatchObject({ status: 'RUNNING', attempts: 2, error: null });
    expect(await runs.complete(ds, run.id, { ok: true })).toMatchObject({ status: 'COMPLETED', progress: 1, result: { ok: true } });
    // a late duplicate attempt cannot reopen or fail a completed run
    expect((await runs.markRunning(ds, run.id)).status).toBe('COMPLETED');
    expect((await runs.fail(ds, run.id, 'late')).status).toBe('COMPLETED');
    expect(await runs.get(ds, '00000000-0000-0000-0000-000000000000')).toBeNull();
  });

  it('bookkeeping rolls back with the transaction it was written in', async () => {
    const run = await runs.create(ds, { kind: 'k' });
    await expect(
      ds.transaction(async (m) => {
        await runs.reportProgress(m, run.id, 0.9, { checkpoint: 90 });
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect(await runs.get(ds, run.id)).toMatchObject({ progress: 0, counters: {} });
  });

  it('has a down migration', async () => {
    const { down, up } = jobRunMigrationSql('scratch');
    expect(up[0]).toContain('"scratch"."job_runs"');
    expect(down).toEqual(['DROP TABLE IF EXISTS "scratch"."job_runs"']);
    expect(() => jobRunMigrationSql('bad-name')).toThrow();
  });
});
