import path from 'node:path';
import { spawn } from 'node:child_process';
import { createTestDatabase, type TestDatabase } from '@citypoints/db';
import { testQueueConnection } from '@citypoints/testing';

const ROOT = path.resolve(__dirname, '../..');

/**
 * A subgraph run as its own process (libs/process) shuts down through its Lifecycle on SIGTERM:
 * it logs the shutdown, closes what it opened and exits 0 instead of dying of the signal.
 */
describe('a subgraph process on SIGTERM', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('process_shutdown');
  });
  afterAll(() => db.drop());

  function run(file: string, ready: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
    const queue = testQueueConnection(db.url);
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      DATABASE_URL: db.url,
      QUEUE_BACKEND: queue.kind,
      QUEUE_PREFIX: `shutdown${process.pid}`,
      REGISTRY_PORT: '0',
      // as `npm start` runs it: under NODE_ENV=test Apollo would not install its own signal handler
      NODE_ENV: 'development',
    };
    if (queue.kind === 'redis') env.REDIS_URL = queue.url;
    const child = spawn(process.execPath, ['-r', '@swc-node/register', file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let signalled = false;
    const collect = (chunk: Buffer) => {
      out += chunk.toString();
      if (!signalled && out.includes(ready)) {
        signalled = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, out })));
  }

  it('the GraphQL server stops taking requests, closes the instance and exits 0', async () => {
    const r = await run('subgraphs/registry/src/main.ts', 'subgraph listening on');
    expect(r.out).toContain('SIGTERM: shutting down');
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 0, signal: null });
  });

  it('the worker closes its workers, queues and pools and exits 0', async () => {
    const r = await run('subgraphs/registry/src/worker.ts', 'workers started');
    expect(r.out).toContain('SIGTERM: shutting down');
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 0, signal: null });
  });
});
