import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** Runs one of the city's processes with the given environment until it exits (it must). */
function run(file: string, extra: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += String(d)));
    child.stderr.on('data', (d) => (output += String(d)));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('a process started outside development', () => {
  it('refuses the development secret, naming AUTH_JWT_SECRET', async () => {
    const r = await run('gateway/src/main.ts', { NODE_ENV: 'production', GATEWAY_PORT: '0' });
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.output).toContain('AUTH_JWT_SECRET');
    expect(r.output).not.toMatch(/listening/);
  });

  it('treats an unset NODE_ENV as production: a worker refuses a short secret and a missing subgraph secret', async () => {
    const r = await run('subgraphs/registry/src/worker.ts', { AUTH_JWT_SECRET: 'short-but-16-chars', DATABASE_URL: 'postgres://127.0.0.1:1/none' });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('AUTH_JWT_SECRET: shorter than 32');
    expect(r.output).toContain('GATEWAY_SUBGRAPH_SECRET');
  });

  it('refuses a subgraph secret derived from the token secret', async () => {
    const secret = 'p'.repeat(40);
    const r = await run('subgraphs/registry/src/main.ts', { NODE_ENV: 'production', AUTH_JWT_SECRET: secret, GATEWAY_SUBGRAPH_SECRET: `${secret}:subgraphs`, DATABASE_URL: 'postgres://127.0.0.1:1/none' });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('GATEWAY_SUBGRAPH_SECRET: is derived');
    expect(r.output).not.toContain('AUTH_JWT_SECRET:');
  });
});
