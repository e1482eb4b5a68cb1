import { eventually } from '@citypoints/testing';
import type { WorkerProcess } from './worker-process';

export interface RunRow {
  status: string;
  progress?: number;
  counters: Record<string, unknown>;
}

/** The items a chunked run has committed (libs/jobs runChunked keeps its checkpoint in the run's counters). */
export const checkpointOf = (r: RunRow | undefined): number => Number(r?.counters?.checkpoint ?? 0) || 0;

/**
 * Waits until the run has committed some of its work but not all, then kills the worker with
 * SIGKILL, and returns what the run had committed when it died (read after the process is gone).
 * `underway` says when the run counts as halfway (by default: its checkpoint is past 0).
 */
export async function killWhenUnderway(
  worker: WorkerProcess,
  readRun: () => Promise<RunRow | undefined>,
  total: number,
  o: { underway?: (r: RunRow) => boolean; timeoutMs?: number } = {},
): Promise<{ checkpoint: number; run: RunRow }> {
  const underway = o.underway ?? ((r: RunRow) => checkpointOf(r) > 0);
  const deadline = Date.now() + (o.timeoutMs ?? 90_000);
  for (;;) {
    const r = await readRun();
    if (r?.status === 'COMPLETED') throw new Error(`the run completed before the worker could be killed: give it more work (total ${total})`);
    if (r && r.status === 'RUNNING' && underway(r)) break;
    if (worker.child.exitCode != null) throw new Error(`the worker exited before the run got underway:\n${worker.output()}`);
    if (Date.now() > deadline) throw new Error(`the run did not get underway: ${JSON.stringify(r)}\n${worker.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await worker.kill();
  const run = await readRun();
  if (!run) throw new Error('the run vanished');
  return { checkpoint: checkpointOf(run), run };
}

/**
 * Waits until the run, read by `readRun` while the worker started again carries it on, is
 * COMPLETED and returns what it read then; if it does not complete in time the error carries the
 * worker's output.
 */
export async function completedRun<R extends { status: string }>(worker: WorkerProcess, readRun: () => Promise<R | null | undefined>, timeoutMs = 120_000): Promise<R> {
  return eventually(async () => {
    const r = await readRun();
    return r?.status === 'COMPLETED' && r;
  }, timeoutMs, 200).catch((e) => {
    throw new Error(`${String(e)}\n${worker.output()}`);
  });
}
