import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { env, subgraphUrls, type Env } from '@citypoints/config';
import { mintToken } from '@citypoints/auth';
import { resolveQueueConnection, type QueueConnection } from '@citypoints/jobs';
import { startSubgraphServer, type RunningServer, type SubgraphInstance } from '@citypoints/federation';
import { withDatabase } from '@citypoints/db';
import { composeSupergraph, gatewayOptionsFromEnv, startGateway, SUPERGRAPH_PATH } from '@citypoints/gateway';
import { subgraphSecret } from '@citypoints/config';
import { CITY } from './src/city';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './src/embedded-postgres';
import { closeInstances, createInstances } from './src/host';

/**
 * `npm start`: the whole city on one machine. Layouts (CITY_LAYOUT):
 * - `combined` (default): this process hosts every subgraph and the gateway; one child process
 *   runs every subgraph's workers.
 * - `split`: one process per subgraph server, one per subgraph's workers and one for the
 *   gateway, as a cluster runs them.
 * Embedded PostgreSQL when DATABASE_URL is unset. Ctrl-C stops the gateway and servers, the
 * workers (letting active jobs finish), then the database.
 */
const HERE = __dirname;
const COMPILED = __filename.endsWith('.js');
const ROOT = COMPILED ? path.resolve(HERE, '..', '..') : path.resolve(HERE, '..');
const CODE = COMPILED ? path.resolve(HERE, '..') : ROOT;
const DEMO_SEED = 20240901;
const LAYOUTS = ['combined', 'split'] as const;
type Layout = (typeof LAYOUTS)[number];
const log = (m: string) => console.log(`[city] ${m}`);

function layout(): Layout {
  const v = (process.env.CITY_LAYOUT ?? 'combined').trim() || 'combined';
  if (!(LAYOUTS as readonly string[]).includes(v)) {
    console.error(`invalid environment:\n  CITY_LAYOUT: "${v}" is not one of ${LAYOUTS.join(', ')}`);
    process.exit(78);
  }
  return v as Layout;
}

/** A process running one of the city's entry files, compiled or (in development) TypeScript. */
function entry(rel: string): string[] {
  return COMPILED ? [path.join(CODE, rel.replace(/\.ts$/, '.js'))] : ['-r', '@swc-node/register', path.join(ROOT, rel)];
}

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

/** The supergraph composed from the instances' SDL, with the URLs the gateway is configured with. */
function compose(e: Env, instances: SubgraphInstance[], o: { write: boolean }): string {
  const urls = subgraphUrls(e);
  const supergraph = composeSupergraph(instances.map((i) => ({ name: i.name, sdl: i.federated.sdl, url: urls[i.name as keyof typeof urls] })));
  // a gateway process of its own reads the file; the one-process city hands it over in memory (an image's files are read-only)
  if (o.write) fs.writeFileSync(SUPERGRAPH_PATH, supergraph);
  log(`supergraph composed from ${instances.length} subgraphs`);
  return supergraph;
}

/** Demo data, once (a second start finds it loaded), in subgraph order. */
async function seedDemo(e: Env, instances: SubgraphInstance[]): Promise<void> {
  if (e.DEMO_DATA !== 'on') return;
  for (const inst of instances) if (inst.seedDemo) await inst.seedDemo({ seed: DEMO_SEED, log });
  log('demo data ready');
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
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000} s`);
}

interface Child {
  name: string;
  kind: 'worker' | 'subgraph' | 'gateway';
  child: ChildProcess;
}

function stopChildren(children: Child[], kind: Child['kind'], graceMs = 10_000): Promise<void> {
  return Promise.all(
    children
      .filter((c) => c.kind === kind && c.child.exitCode === null && c.child.signalCode === null)
      .map(
        (c) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(() => c.child.kill('SIGKILL'), graceMs);
            c.child.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            c.child.kill('SIGTERM');
          }),
      ),
  ).then(() => undefined);
}

async function main() {
  const e = env();
  const chosen = layout();
  let embedded: EmbeddedPostgres | null = null;
  let databaseUrl = e.DATABASE_URL;
  if (!databaseUrl) {
    log(`DATABASE_URL is not set: starting embedded PostgreSQL in ${e.EMBEDDED_PG_DIR} on port ${e.EMBEDDED_PG_PORT}`);
    embedded = await startEmbeddedPostgres(path.resolve(ROOT, e.EMBEDDED_PG_DIR), e.EMBEDDED_PG_PORT, { ownSignals: true });
    databaseUrl = await ensureDatabase(embedded.url, 'citypoints');
  }
  const queue: QueueConnection = await resolveQueueConnection({ redisUrl: e.REDIS_URL, databaseUrl, backend: e.QUEUE_BACKEND, log });
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    QUEUE_BACKEND: queue.kind,
    ...(queue.kind === 'redis' ? { REDIS_URL: queue.url } : {}),
  };

  const children: Child[] = [];
  const run = (name: string, kind: Child['kind'], rel: string) => {
    // its own process group: a terminal's Ctrl-C reaches this process alone, which stops the
    // children in order; the IPC channel tells a child when this process is gone
    const child = spawn(process.execPath, entry(rel), { cwd: ROOT, env: childEnv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true });
    children.push({ name, kind, child });
    return child;
  };
  let instances: SubgraphInstance[] = [];
  const servers: RunningServer[] = [];
  let gateway: RunningServer | null = null;
  let demo: Promise<void> = Promise.resolve();

  let stopping = false;
  const stop = async (code = 0) => {
    if (stopping) return;
    stopping = true;
    log('stopping: gateway and subgraphs, then workers (active jobs finish), then the database');
    const began = Date.now();
    const phase = async (what: string, work: (Promise<unknown> | undefined)[]) => {
      await Promise.allSettled(work);
      log(`${what} stopped (${((Date.now() - began) / 1000).toFixed(1)} s)`);
    };
    await phase('gateway', [gateway?.close(), stopChildren(children, 'gateway')]);
    // a half-loaded demo would look loaded to the next start: it finishes first
    await phase('demo data', [demo]);
    await phase('subgraph servers', [...servers.map((s) => s.close()), stopChildren(children, 'subgraph')]);
    await phase('workers and pools', [closeInstances(instances, log), stopChildren(children, 'worker')]);
    if (embedded) await phase('PostgreSQL', [embedded.stop()]);
    process.exit(code);
  };
  // `on`, not `once`: a library's signal-exit handler re-raises a signal no other listener holds
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  try {
    instances = await createInstances(CITY, e, databaseUrl, queue, log);
    const supergraph = compose(e, instances, { write: chosen === 'split' });
    if (chosen === 'combined') {
      // the workers' process starts while this one opens its servers: migrations are done
      const workers = run('all', 'worker', 'infra/workers.ts');
      for (const [k, m] of CITY.entries()) {
        const inst = instances[k];
        servers.push(await startSubgraphServer({ name: m.name, schema: inst.federated.schema, port: e[m.portVariable], host: e.SUBGRAPH_HOST, subgraphSecret: subgraphSecret(e), ready: inst.ready, runtime: inst.runtime, routes: inst.routes?.bind(inst) }));
      }
      // the gateway's rate limits and job dashboard use the database and queue backend this city runs on
      const gatewayEnv: Env = { ...e, DATABASE_URL: databaseUrl, QUEUE_BACKEND: queue.kind, REDIS_URL: queue.kind === 'redis' ? queue.url : e.REDIS_URL };
      gateway = await startGateway(await gatewayOptionsFromEnv(gatewayEnv, { supergraphSdl: supergraph }));
      if (workers.exitCode !== null) throw new Error(`the workers exited with code ${workers.exitCode}`);
      // the city answers while the demo data loads (a first start only)
      demo = seedDemo(e, instances).catch((err) => console.error('[city] demo data failed to load:', err));
    } else {
      await seedDemo(e, instances);
      // each process opens its own pools: this one's are no longer needed
      await closeInstances(instances, log);
      instances = [];
      for (const m of CITY) {
        const dir = path.join('subgraphs', m.name, 'src');
        run(m.name, 'worker', path.join(dir, 'worker.ts'));
        const server = run(m.name, 'subgraph', path.join(dir, 'main.ts'));
        await waitReady(`http://${e.SUBGRAPH_HOST}:${e[m.portVariable]}/ready`, server, m.name);
      }
      const gw = run('gateway', 'gateway', 'gateway/src/main.ts');
      await waitReady(`http://127.0.0.1:${e.GATEWAY_PORT}/health`, gw, 'gateway');
    }
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
citypoints is running (${chosen === 'combined' ? 'subgraphs and gateway in this process, workers in one more' : 'one process per subgraph server, per subgraph\'s workers, and the gateway'}).

  gateway:  ${url}
  lookup:   http://localhost:${e.GATEWAY_PORT}/lookup   (parents' admission lookup)
  token:    ${token}
            (CITY_ADMIN, 12 hours; others: npm run token -- --role TOWN_OFFICIAL --division 441900003)

  try:
    curl -s ${url} -H 'content-type: application/json' -H "authorization: Bearer ${token.slice(0, 12)}…" \\
      -d '{"query":"{ divisions(parentCode: \\"441900\\") { code name level } }"}'

    { enterprise(uscc: "…") { name division { name } credit { status restrictions } labourRisk { level score } } }
    { resident(id: "…") { name civicCard { balance } volunteer { hours stars } settlement { schoolApplications { rank placement { name } } } } }

  Ctrl-C stops everything in order.
`);
  await demo;
}

main().catch((err) => {
  console.error('[city] failed:', err);
  process.exit(1);
});
