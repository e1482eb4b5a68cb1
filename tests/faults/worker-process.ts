import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type { QueueConnection } from '@citypoints/jobs';

const ROOT = path.resolve(__dirname, '../..');

/** A killed worker's job is handed back within about lock + 2 × stalled interval: seconds here, not BullMQ's minute. */
export const JOB_LOCK_MS = 4_000;
export const JOB_STALLED_INTERVAL_MS = 1_000;

export interface WorkerProcess {
  child: ChildProcess;
  /** the last lines it wrote, for a failing test's message */
  output(): string;
  /** SIGKILL, as the kernel's OOM killer or a lost node does it: no shutdown, no lock released */
  kill(): Promise<void>;
  /** SIGTERM and wait for its exit (a graceful stop), or SIGKILL after 20 s */
  stop(): Promise<void>;
}

/**
 * One subgraph's worker process, as `subgraphs/<name>/src/worker.ts` runs in production, on the
 * test's database and queues, with job locks short enough that a killed one is recovered in seconds.
 */
export function startWorkerProcess(subgraph: string, on: { db: { url: string }; queue: QueueConnection; queuePrefix: string }, extraEnv: Record<string, string> = {}): WorkerProcess {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: on.db.url,
    QUEUE_PREFIX: on.queuePrefix,
    QUEUE_BACKEND: on.queue.kind,
    JOB_LOCK_MS: String(JOB_LOCK_MS),
    JOB_STALLED_INTERVAL_MS: String(JOB_STALLED_INTERVAL_MS),
    WORKER_HTTP_PORT: '0',
    ...extraEnv,
  };
  if (on.queue.kind === 'redis') env.REDIS_URL = on.queue.url;
  const child = spawn(process.execPath, ['-r', '@swc-node/register', `subgraphs/${subgraph}/src/worker.ts`], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (b: Buffer) => {
    tail = (tail + b.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode != null || child.signalCode != null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    child,
    output: () => tail,
    async kill() {
      if (child.exitCode == null && child.signalCode == null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode == null && child.signalCode == null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
