import { DataSource, EntityManager } from '@citypoints/db';
import { JobCounters, JobRun, JobRuns } from './job-runs';

/** Where a chunked run resumes: items before it are committed. Kept in `job_runs.counters`. */
export const CHECKPOINT_KEY = 'checkpoint';

export interface ChunkedRunOptions {
  dataSource: DataSource;
  runs: JobRuns;
  runId: string;
  /** number of items; chunk offsets run over [0, total) */
  total: number;
  chunkSize: number;
  /**
   * Does the work of items [offset, offset + limit) through `m`, the chunk's transaction, and
   * may return numeric counters to add to the run's (e.g. `{ written: 37 }`).
   */
  processChunk(m: EntityManager, offset: number, limit: number): Promise<Record<string, number> | void>;
  /** after each committed chunk, e.g. `(p) => job.updateProgress(p)` */
  onProgress?(progress: number, counters: JobCounters): Promise<unknown> | unknown;
}

/**
 * Runs a long job chunk by chunk. Each chunk's work, its checkpoint and its progress commit in
 * one transaction, so a crash or a thrown error loses only the chunk in flight and a retried job
 * starts at the first uncommitted chunk: every item is processed exactly once. The run's row is
 * locked per chunk, so two attempts of the same run (a stalled job picked up again while the
 * first is still alive) take turns instead of doing a chunk twice.
 */
export async function runChunked(opts: ChunkedRunOptions): Promise<JobRun> {
  const { dataSource, runs, runId, total, chunkSize } = opts;
  if (!Number.isInteger(chunkSize) || chunkSize <= 0) throw new Error('chunkSize must be a positive integer');
  if (!Number.isInteger(total) || total < 0) throw new Error('total must be a non-negative integer');

  const started = await runs.markRunning(dataSource, runId);
  if (started.status === 'COMPLETED') return started;

  try {
    for (;;) {
      const step = await dataSource.transaction(async (m) => {
        const run = await runs.lock(m, runId);
        const offset = checkpointOf(run);
        if (offset >= total) return { done: true as const, counters: run.counters };
        const limit = Math.min(chunkSize, total - offset);
        const added = (await opts.processChunk(m, offset, limit)) ?? {};
        const counters: JobCounters = { ...run.counters, total, [CHECKPOINT_KEY]: offset + limit };
        for (const [k, v] of Object.entries(added)) counters[k] = (Number(run.counters[k]) || 0) + v;
        const progress = total === 0 ? 1 : (offset + limit) / total;
        await runs.reportProgress(m, runId, progress, counters);
        return { done: false as const, progress, counters };
      });
      if (step.done) {
        const { [CHECKPOINT_KEY]: _checkpoint, ...result } = step.counters;
        return await runs.complete(dataSource, runId, result);
      }
      await opts.onProgress?.(step.progress, step.counters);
    }
  } catch (err) {
    await runs.fail(dataSource, runId, err).catch(() => undefined);
    throw err;
  }
}

function checkpointOf(run: JobRun): number {
  const c = Number(run.counters[CHECKPOINT_KEY]);
  return Number.isInteger(c) && c > 0 ? c : 0;
}
