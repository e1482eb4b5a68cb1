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
