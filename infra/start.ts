import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { env, type Env } from '@citypoints/config';
import { mintToken } from '@citypoints/auth';
import { resolveQueueConnection, type QueueConnection } from '@citypoints/jobs';
import { systemClock } from '@citypoints/kit';
import { composeSupergraph } from '../gateway/src/compose';
import { SUPERGRAPH_PATH } from '../gateway/src/compose';
import { CITY } from './src/city';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './src/embedded-postgres';
import { withDatabase } from '@citypoints/db';

const ROOT = path.resolve(__dirname, '..');
const DEMO_SEED = 20240901;
const log = (m: string) => console.log(`[city] ${m}`);

async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const found = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!found.rowCount) await c.query(`CREATE DATABASE "${name}"`);
  } finally {
    await c.end();
  }
  return withDatabase(adminUrl, name);
}

/** Migrations and demo data, once, in this process, before any service starts. */
async function prepare(e: Env, databaseUrl: string, queue: QueueConnection): Promise<void> {
  for (const m of CITY) {
    const inst = await m.create({ databaseUrl, queue, queuePrefix: e.QUEUE_PREFIX, clock: systemClock, log });
    try {
      if (e.DEMO_DATA === 'on' && inst.seedDemo) await inst.seedDemo({ seed: DEMO_SEED, log });
    } finally {
      await inst.close();
    }
  }
  const sdls = [];
  for (const m of CITY) sdls.push({ name: m.name, sdl: (await m.buildSchema()).sdl, url: `http://${e.SUBGRAPH_HOST}:${e[m.portVariable]}/graphql` });
  fs.writeFileSync(SUPERGRAPH_PATH, composeSupergraph(sdls));
  log(`supergraph composed from ${CITY.length} subgraphs`);
}

async function waitReady(url: string, child: ChildProcess, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000} s`);
}

async function main() {
  const e = env();
  let embedded: EmbeddedPostgres | null = null;
  let databaseUrl = e.DATABASE_URL;
  if (!databaseUrl) {
    log(`DATABASE_URL is not set: starting embedded PostgreSQL in ${e.EMBEDDED_PG_DIR} on port ${e.EMBEDDED_PG_PORT}`);
    embedded = await startEmbeddedPostgres(path.resolve(ROOT, e.EMBEDDED_PG_DIR), e.EMBEDDED_PG_PORT, { ownSignals: true });
    databaseUrl = await ensureDatabase(embedded.url, 'citypoints');
  }
  const queue = await resolveQueueConnection({ redisUrl: e.REDIS_URL, databaseUrl, backend: e.QUEUE_BACKEND, log });
  await prepare(e, databaseUrl, queue);

  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    QUEUE_BACKEND: queue.kind,
    ...(queue.kind === 'redis' ? { REDIS_URL: queue.url } : {}),
  };
  const children: { name: string; kind: 'worker' | 'subgraph' | 'gateway'; child: ChildProcess }[] = [];
  const run = (name: string, kind: 'worker' | 'subgraph' | 'gateway', file: string) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', file], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'inherit', 'inherit'] });
    children.push({ name, kind, child });
    return child;
  };

  let stopping = false;
  const stop = async (code = 0) => {
    if (stopping) return;
    stopping = true;
    log('stopping: gateway, then subgraphs, then workers');
    for (const kind of ['gateway', 'subgraph', 'worker'] as const) {
      const group = children.filter((c) => c.kind === kind && c.child.exitCode === null);
      await Promise.all(
        group.map(
          (c) =>
            new Promise<void>((resolve) => {
              const t = setTimeout(() => c.child.kill('SIGKILL'), 10_000);
              c.child.once('exit', () => {
                clearTimeout(t);
                resolve();
              });
              c.child.kill('SIGTERM');
            }),
        ),
      );
    }
    if (embedded) await embedded.stop();
    log('stopped');
    process.exit(code);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());

  try {
    for (const m of CITY) {
      const dir = path.join('subgraphs', m.name, 'src');
      run(m.name, 'worker', path.join(dir, 'worker.ts'));
      const server = run(m.name, 'subgraph', path.join(dir, 'main.ts'));
      await waitReady(`http://${e.SUBGRAPH_HOST}:${e[m.portVariable]}/ready`, server, m.name);
    }
    const gw = run('gateway', 'gateway', 'gateway/src/main.ts');
    await waitReady(`http://127.0.0.1:${e.GATEWAY_PORT}/health`, gw, 'gateway');
  } catch (err) {
    console.error('[city] failed to start:', err instanceof Error ? err.message : err);
    await stop(1);
    return;
  }
  for (const c of children) {
    c.child.once('exit', (code) => {
      if (!stopping) {
        console.error(`[city] ${c.name} ${c.kind} exited with code ${code}; stopping the city`);
        void stop(1);
      }
    });
  }

  const token = await mintToken(e.AUTH_JWT_SECRET, { sub: 'dev-admin', roles: ['CITY_ADMIN'], expiresIn: '12h' });
  const url = `http://localhost:${e.GATEWAY_PORT}/graphql`;
  console.log(`
citypoints is running.

  gateway:  ${url}
  token:    ${token}
            (CITY_ADMIN, 12 hours; others: npm run token -- --role TOWN_OFFICIAL --division 441900003)

  try:
    curl -s ${url} -H 'content-type: application/json' -H "authorization: Bearer ${token.slice(0, 12)}…" \\
      -d '{"query":"{ divisions(parentCode: \\"441900\\") { code name level } }"}'

    { enterprise(uscc: "…") { name division { name } credit { status restrictions } labourRisk { level score } } }
    { resident(id: "…") { name civicCard { balance } volunteer { hours stars } settlement { schoolApplications { rank placement { name } } } } }

  Ctrl-C stops everything in order.
`);
}

main().catch((err) => {
  console.error('[city] failed:', err);
  process.exit(1);
});
