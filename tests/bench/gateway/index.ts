/**
 * Gateway benchmark: the user's path through the gateway, under load, against Hive Gateway with
 * its defaults on the same supergraph and subgraphs, and against the subgraphs called directly.
 *
 * The city runs in its one-process-per-subgraph layout (each subgraph server its own process,
 * demo data loaded once), so each gateway has a process of its own: the citypoints gateway, and
 * Hive Gateway forwarding the signed caller header the bench hands it. For each query the bench
 * first checks that both gateways give identical answers, then runs autocannon against each in
 * alternating rounds and prints req/s and p50/p95/p99 with the ratio citypoints / Hive (medians
 * of the rounds), and each direct subgraph call the query's plan makes (its p95 is the bound the
 * gateway's p95 is compared with).
 *
 * Queries: `divisions` (one subgraph); 50 risk alerts with enterprise, division and credit status
 * (three subgraphs); one resident with settlement, civic card and volunteer profile (four
 * subgraphs); 50 residents with the same (50 aliased root fields).
 *
 * Run: node -r @swc-node/register tests/bench/gateway/index.ts [--seconds 8] [--rounds 3] [--connections 20]
 * Uses CITYPOINTS_BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres) for its own
 * database, created and dropped by the run, and Redis at REDIS_URL (default 127.0.0.1:6379) when
 * it answers, else BullMQ's PostgreSQL backend.
 */
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { CALLER_HEADER, mintToken, signForwardedCaller, type Caller } from '@citypoints/auth';
import { createTestDatabase } from '@citypoints/db';
import { composeSupergraph } from '@citypoints/gateway';
import type { QueueConnection } from '@citypoints/jobs';
import { systemClock } from '@citypoints/kit';
import type { SubgraphModule } from '@citypoints/federation';
import { civic } from '@citypoints/civic';
import { enterpriseCredit } from '@citypoints/enterprise-credit';
import { registry } from '@citypoints/registry';
import { settlement } from '@citypoints/settlement';
import { socialOrganisations } from '@citypoints/social-organisations';
import { volunteering } from '@citypoints/volunteering';

process.env.NODE_ENV ??= 'development';
process.env.CITYPOINTS_TEST_PG_URL ??= process.env.CITYPOINTS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const SECONDS = arg('seconds', 8);
const ROUNDS = arg('rounds', 3);
const CONNECTIONS = arg('connections', 20);
const DEMO_SEED = 20240901;
const JWT_SECRET = `bench-${randomBytes(24).toString('hex')}`;
const SUBGRAPH_SECRET = `bench-subgraph-${randomBytes(24).toString('hex')}`;
const MODULES: SubgraphModule[] = [registry, settlement, civic, enterpriseCredit, socialOrganisations, volunteering];
const ADMIN: Caller = { sub: 'bench-admin', roles: ['CITY_ADMIN'] };

const children: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function redisAnswers(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const sock = net.connect(Number(u.port || 6379), u.hostname, () => sock.write('PING\r\n'));
    sock.setTimeout(1000, () => (sock.destroy(), resolve(false)));
    sock.once('data', (d) => (sock.destroy(), resolve(d.toString().startsWith('+PONG'))));
    sock.once('error', () => resolve(false));
  });
}

/** --cpu-prof DIR: the citypoints gateway runs under `node --cpu-prof`, its profile written there at exit */
const PROFILE_DIR = (() => {
  const i = process.argv.indexOf('--cpu-prof');
  return i >= 0 ? path.resolve(process.argv[i + 1]) : undefined;
})();
/** --only NAME[,NAME]: run only these queries */
const ONLY = (() => {
  const i = process.argv.indexOf('--only');
  return i >= 0 ? process.argv[i + 1].split(',') : undefined;
})();

function start(name: string, file: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs, '-r', '@swc-node/register', file], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  child.once('exit', (code, signal) => {
    if (!stopping) console.error(`${name} exited (${code ?? signal})`);
  });
  children.push(child);
  return child;
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not come up within ${timeoutMs / 1000} s`);
}

async function post(url: string, body: unknown, headers: Record<string, string>): Promise<any> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return r.json();
}

/** Migrations and the demo city, loaded in this process before any server starts; labour-risk scoring run so alerts exist. */
async function prepare(databaseUrl: string, queue: QueueConnection, queuePrefix: string): Promise<void> {
  for (const m of MODULES) {
    const inst = await m.create({ databaseUrl, queue, queuePrefix, clock: systemClock });
    try {
      await inst.seedDemo?.({ seed: DEMO_SEED });
      if (m === enterpriseCredit) {
        await inst.startWorkers();
        let last = -1;
        await waitFor('demo labour-risk scoring', async () => {
          const [{ n }] = await inst.dataSource.query(`SELECT count(*)::int AS n FROM enterprise_credit.risk_alerts`);
          const settled = n > 0 && n === last;
          last = n;
          return settled;
        }, 180_000);
      }
    } finally {
      await inst.close();
    }
  }
}

interface Load {
  rps: number;
  /** CPU time of the measured server process per answered request, in ms (user + system, from /proc) */
  cpuMs: number;
  p50: number;
  p95: number;
  p99: number;
  non2xx: number;
  errors: number;
}

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

/** user + system CPU time of a process and its children so far, in ms (Linux /proc; NaN elsewhere) */
function cpuOf(pid: number | undefined): number {
  const read = (p: number | string) => {
    const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), ms: ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS };
  };
  if (!pid) return NaN;
  try {
    let ms = read(pid).ms;
    // cluster workers
    for (const p of fs.readdirSync('/proc')) {
      if (!/^[0-9]+$/.test(p)) continue;
      try {
        const s = read(p);
        if (s.ppid === pid) ms += s.ms;
      } catch {
        // gone meanwhile
      }
    }
    return ms;
  } catch {
    return NaN;
  }
}
const CLOCK_TICKS = 100;

async function load(url: string, body: unknown, headers: Record<string, string>, seconds = SECONDS, pid?: number): Promise<Load> {
  const latencies: number[] = [];
  const cpu0 = cpuOf(pid);
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url, method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers }, connections: CONNECTIONS, duration: seconds },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  });
  latencies.sort((a, b) => a - b);
  const cpuMs = (cpuOf(pid) - cpu0) / Math.max(1, result.requests.total);
  return { cpuMs, rps: result.requests.total / seconds, p50: pct(latencies, 50), p95: pct(latencies, 95), p99: pct(latencies, 99), non2xx: result.non2xx, errors: result.errors + result.timeouts };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (l: Load) => `${l.rps.toFixed(0).padStart(6)} req/s${Number.isFinite(l.cpuMs) ? `  cpu ${l.cpuMs.toFixed(2).padStart(5)} ms/req` : ''}  p50 ${l.p50.toFixed(1).padStart(6)} ms  p95 ${l.p95.toFixed(1).padStart(6)} ms  p99 ${l.p99.toFixed(1).padStart(6)} ms${l.non2xx || l.errors ? `  (${l.non2xx} non-2xx, ${l.errors} errors)` : ''}`;

/** Canonical JSON: keys sorted, so two gateways' answers compare by content. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

interface Case {
  name: string;
  body: { query: string; variables?: Record<string, unknown> };
  /** the calls the query's plan makes to subgraphs, each made directly */
  direct: { subgraph: string; body: { query: string; variables?: Record<string, unknown> } }[];
}

const RESIDENT_FIELDS = `name division { name } settlement { schoolApplications { applicationNo status rank } } civicCard { cardNo balance passbooks { kind balance } } volunteer { hours stars points }`;

function entitiesCall(subgraph: string, typename: string, key: string, keys: string[], selection: string) {
  return { subgraph, body: { query: `query ($r: [_Any!]!) { _entities(representations: $r) { ... on ${typename} { ${selection} } } }`, variables: { r: keys.map((k) => ({ __typename: typename, [key]: k })) } } };
}

async function cases(databaseUrl: string): Promise<Case[]> {
  const { Client } = await import('pg');
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const residents: string[] = (await c.query(`SELECT id FROM registry.residents ORDER BY id LIMIT 50`)).rows.map((r) => r.id);
    const alerts: string[] = (await c.query(`SELECT enterprise_uscc AS uscc FROM enterprise_credit.risk_alerts ORDER BY raised_at DESC, id LIMIT 50`).catch(() => c.query(`SELECT uscc FROM enterprise_credit.risk_alerts LIMIT 50`))).rows.map((r) => r.uscc);
    const villages: string[] = (await c.query(`SELECT DISTINCT division_code AS code FROM registry.residents WHERE id = ANY($1)`, [residents])).rows.map((r) => r.code);
    const one = residents[0];
    const alias = residents.map((id, i) => `r${i}: resident(id: "${id}") { id ${RESIDENT_FIELDS} }`).join(' ');
    return [
      {
        name: 'divisions',
        body: { query: `{ divisions { code name } }` },
        direct: [{ subgraph: 'registry', body: { query: `{ divisions { code name } }` } }],
      },
      {
        name: 'alerts',
        body: { query: `{ riskAlerts(first: 50) { totalCount nodes { id level period enterprise { uscc name division { name } credit { status } } } } }` },
        direct: [
          { subgraph: 'enterprise-credit', body: { query: `{ riskAlerts(first: 50) { totalCount nodes { id level period enterprise { uscc } } } }` } },
          entitiesCall('registry', 'Enterprise', 'uscc', alerts, 'name division { code }'),
          entitiesCall('registry', 'Division', 'code', [...new Set(villages)], 'name'),
          entitiesCall('enterprise-credit', 'Enterprise', 'uscc', alerts, 'credit { status }'),
        ],
      },
      {
        name: 'resident',
        body: { query: `query ($id: ID!) { resident(id: $id) { id ${RESIDENT_FIELDS} } }`, variables: { id: one } },
        direct: [
          { subgraph: 'registry', body: { query: `query ($id: ID!) { resident(id: $id) { id name division { code } } }`, variables: { id: one } } },
          entitiesCall('settlement', 'Resident', 'id', [one], 'settlement { schoolApplications { applicationNo status rank } }'),
          entitiesCall('civic', 'Resident', 'id', [one], 'civicCard { cardNo balance passbooks { kind balance } }'),
          entitiesCall('volunteering', 'Resident', 'id', [one], 'volunteer { hours stars points }'),
        ],
      },
      {
        name: 'residents50',
        body: { query: `{ ${alias} }` },
        direct: [
          { subgraph: 'registry', body: { query: `{ ${residents.map((id, i) => `r${i}: resident(id: "${id}") { id name division { code } }`).join(' ')} }` } },
          entitiesCall('settlement', 'Resident', 'id', residents, 'settlement { schoolApplications { applicationNo status rank } }'),
          entitiesCall('civic', 'Resident', 'id', residents, 'civicCard { cardNo balance passbooks { kind balance } }'),
          entitiesCall('volunteering', 'Resident', 'id', residents, 'volunteer { hours stars points }'),
        ],
      },
    ];
  } finally {
    await c.end();
  }
}

let stopping = false;

async function main() {
  const db = await createTestDatabase('bench_gateway');
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const queue: QueueConnection = (await redisAnswers(redisUrl)) ? { kind: 'redis', url: redisUrl } : { kind: 'postgres', url: db.url, schema: 'bullmq' };
  const queuePrefix = `bench${randomBytes(3).toString('hex')}`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'citypoints-gateway-bench-'));
  try {
    console.log(`load average at start: ${os.loadavg().map((l) => l.toFixed(1)).join(', ')}`);
    console.log(`gateway bench on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown cpu'}), node ${process.version}; queue backend ${queue.kind}`);
    console.log('loading the demo city …');
    await prepare(db.url, queue, queuePrefix);

    const common: NodeJS.ProcessEnv = {
      NODE_ENV: 'development',
      DATABASE_URL: db.url,
      QUEUE_BACKEND: queue.kind,
      QUEUE_PREFIX: queuePrefix,
      ...(queue.kind === 'redis' ? { REDIS_URL: queue.url } : {}),
      AUTH_JWT_SECRET: JWT_SECRET,
      GATEWAY_SUBGRAPH_SECRET: SUBGRAPH_SECRET,
      DEMO_DATA: 'off',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_SECOND: '1000000',
      RATE_LIMIT_BURST: '1000000',
    };
    const urls: Record<string, string> = {};
    for (const m of MODULES) {
      const port = await freePort();
      urls[m.name] = `http://127.0.0.1:${port}/graphql`;
      start(m.name, path.join('subgraphs', m.name, 'src', 'main.ts'), { ...common, [m.portVariable]: String(port) });
    }
    for (const m of MODULES) await waitFor(m.name, async () => (await fetch(urls[m.name].replace('/graphql', '/ready'))).ok);
    const sdls = [];
    for (const m of MODULES) sdls.push({ name: m.name, sdl: (await m.buildSchema()).sdl, url: urls[m.name] });
    const supergraphFile = path.join(tmp, 'supergraph.graphql');
    fs.writeFileSync(supergraphFile, composeSupergraph(sdls));

    const cpPort = await freePort();
    const hivePort = await freePort();
    const clusterPort = await freePort();
    const unsharedPort = await freePort();
    const cpChild = start('citypoints gateway', 'tests/bench/gateway/citypoints.ts', { ...common, BENCH_PORT: String(cpPort), BENCH_SUPERGRAPH_FILE: supergraphFile, BENCH_SERVICE_URLS: JSON.stringify(urls) }, PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] : []);
    const hiveChild = start('hive gateway', 'tests/bench/gateway/hive.ts', { ...common, BENCH_PORT: String(hivePort), BENCH_SUPERGRAPH_FILE: supergraphFile });
    const workers = os.cpus().length;
    const clusterChild = start('citypoints gateway cluster', 'tests/bench/gateway/citypoints.ts', { ...common, BENCH_PORT: String(clusterPort), BENCH_WORKERS: String(workers), BENCH_SUPERGRAPH_FILE: supergraphFile, BENCH_SERVICE_URLS: JSON.stringify(urls) });
    const clusterUrl = `http://127.0.0.1:${clusterPort}/graphql`;
    const unsharedChild = start('citypoints gateway without sharing', 'tests/bench/gateway/citypoints.ts', { ...common, BENCH_PORT: String(unsharedPort), BENCH_SHARE_INFLIGHT: 'off', BENCH_SUPERGRAPH_FILE: supergraphFile, BENCH_SERVICE_URLS: JSON.stringify(urls) });
    const unsharedUrl = `http://127.0.0.1:${unsharedPort}/graphql`;
    const cpUrl = `http://127.0.0.1:${cpPort}/graphql`;
    const hiveUrl = `http://127.0.0.1:${hivePort}/graphql`;
    const token = await mintToken(JWT_SECRET, { roles: ADMIN.roles, sub: ADMIN.sub, expiresIn: '2h' });
    const cpHeaders = { authorization: `Bearer ${token}` };
    // the forwarded caller is valid for 2 minutes: signed afresh before every run
    const signed = async () => ({ [CALLER_HEADER]: await signForwardedCaller(SUBGRAPH_SECRET, ADMIN) });
    await waitFor('citypoints gateway', async () => !!(await post(cpUrl, { query: '{ __typename }' }, cpHeaders)).data);
    await waitFor('citypoints gateway without sharing', async () => !!(await post(unsharedUrl, { query: '{ __typename }' }, cpHeaders)).data);
    await waitFor('citypoints gateway cluster', async () => !!(await post(clusterUrl, { query: '{ __typename }' }, cpHeaders)).data);
    await waitFor('hive gateway', async () => !!(await post(hiveUrl, { query: '{ __typename }' }, await signed())).data);

    const all = (await cases(db.url)).filter((c) => !ONLY || ONLY.includes(c.name));
    const summary: string[] = [];
    for (const c of all) {
      const a = await post(cpUrl, c.body, cpHeaders);
      const b = await post(hiveUrl, c.body, await signed());
      if (a.errors || b.errors) throw new Error(`${c.name}: errors: citypoints ${JSON.stringify(a.errors ?? null)}, hive ${JSON.stringify(b.errors ?? null)}`);
      if (canonical(a.data) !== canonical(b.data)) throw new Error(`${c.name}: the gateways' answers differ`);
      for (const d of c.direct) {
        const r = await post(urls[d.subgraph], d.body, await signed());
        if (r.errors) throw new Error(`${c.name}: direct ${d.subgraph}: ${JSON.stringify(r.errors)}`);
      }
      console.log(`\n${c.name}: answers identical (${JSON.stringify(a.data).length} bytes); ${ROUNDS} rounds of ${SECONDS} s, ${CONNECTIONS} connections`);
      // warm both (JIT, plan caches, pools) before measuring
      await load(cpUrl, c.body, cpHeaders, 2);
      await load(hiveUrl, c.body, await signed(), 2);
      await load(clusterUrl, c.body, cpHeaders, 2);
      await load(unsharedUrl, c.body, cpHeaders, 2);
      const cp: Load[] = [];
      const hive: Load[] = [];
      const clustered: Load[] = [];
      const unshared: Load[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        cp.push(await load(cpUrl, c.body, cpHeaders, SECONDS, cpChild.pid));
        hive.push(await load(hiveUrl, c.body, await signed(), SECONDS, hiveChild.pid));
        clustered.push(await load(clusterUrl, c.body, cpHeaders, SECONDS, clusterChild.pid));
        unshared.push(await load(unsharedUrl, c.body, cpHeaders, SECONDS, unsharedChild.pid));
      }
      const pick = (ls: Load[]): Load => ({ cpuMs: median(ls.map((l) => l.cpuMs)), rps: median(ls.map((l) => l.rps)), p50: median(ls.map((l) => l.p50)), p95: median(ls.map((l) => l.p95)), p99: median(ls.map((l) => l.p99)), non2xx: ls.reduce((s, l) => s + l.non2xx, 0), errors: ls.reduce((s, l) => s + l.errors, 0) });
      const mc = pick(cp);
      const mh = pick(hive);
      console.log(`  citypoints gateway  ${fmt(mc)}`);
      console.log(`  Hive Gateway        ${fmt(mh)}`);
      const mw = pick(clustered);
      const mu = pick(unshared);
      console.log(`  citypoints, no sharing ${fmt(mu)}  (${(mu.rps / mh.rps).toFixed(2)}× Hive: identical in-flight queries not shared)`);
      console.log(`  citypoints, ${workers} workers ${fmt(mw)}  (${(mw.rps / mc.rps).toFixed(2)}× one process, ${(mw.rps / mh.rps).toFixed(2)}× Hive)`);
      let slowestDirectP95 = 0;
      for (const d of c.direct) {
        const l = await load(urls[d.subgraph], d.body, await signed(), Math.max(2, Math.round(SECONDS / 2)));
        slowestDirectP95 = Math.max(slowestDirectP95, l.p95);
        console.log(`  direct ${d.subgraph.padEnd(18)}${fmt(l)}  ${d.body.query.slice(0, 60)}…`);
      }
      const ratio = mc.rps / mh.rps;
      const p95Ratio = mc.p95 / slowestDirectP95;
      // per-round ratios: each pair ran back to back, so a drift of the shared machine's load moves both
      const pairRatios = cp.map((l, i) => l.rps / hive[i].rps);
      const cpuRatio = mh.cpuMs / mc.cpuMs;
      console.log(`  ratio citypoints / Hive: ${ratio.toFixed(2)}× throughput (target ≥ 1.2×; per round ${pairRatios.map((r) => r.toFixed(2)).join(', ')}); Hive's CPU per request / citypoints': ${cpuRatio.toFixed(2)}×; citypoints p95 / slowest direct p95: ${p95Ratio.toFixed(2)} (target ≤ 2)`);
      summary.push(`${c.name}_rps: ${mc.rps.toFixed(0)}`, `${c.name}_hive_rps: ${mh.rps.toFixed(0)}`, `${c.name}_ratio: ${ratio.toFixed(3)}`, `${c.name}_pair_ratio_median: ${median(pairRatios).toFixed(3)}`, `${c.name}_cpu_ms: ${mc.cpuMs.toFixed(3)}`, `${c.name}_hive_cpu_ms: ${mh.cpuMs.toFixed(3)}`, `${c.name}_cpu_ratio: ${cpuRatio.toFixed(3)}`, `${c.name}_workers_rps: ${mw.rps.toFixed(0)}`, `${c.name}_unshared_rps: ${mu.rps.toFixed(0)}`, `${c.name}_p95_ms: ${mc.p95.toFixed(1)}`, `${c.name}_p95_vs_direct: ${p95Ratio.toFixed(3)}`);
    }
    console.log(`load average at end: ${os.loadavg().map((l) => l.toFixed(1)).join(', ')}`);
    console.log(`\nbench: gateway, ${summary.join(', ')}, load_avg_1m: ${os.loadavg()[0].toFixed(1)}`);
  } finally {
    stopping = true;
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    fs.rmSync(tmp, { recursive: true, force: true });
    await db.drop();
  }
}

main().catch((e) => {
  console.error(e);
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  process.exit(1);
});
