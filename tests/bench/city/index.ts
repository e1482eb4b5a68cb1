import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mintToken } from '@citypoints/auth';
import { parseEnv } from '@citypoints/config';

/**
 * The lean city, as a new user meets it: `npm start` from compiled JavaScript with embedded
 * PostgreSQL. Measures the first answer through the gateway on a first start (fresh data
 * folder: initdb, migrations, demo data) and a warm one, resident memory once idle (every
 * process of the city but PostgreSQL), and the time from SIGINT to exit; prints each against
 * its target. `node -r @swc-node/register tests/bench/city/index.ts` (CITY_LAYOUT=split to
 * measure the one-process-per-subgraph layout; BENCH_PORT_BASE moves the ports).
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const BASE = Number(process.env.BENCH_PORT_BASE ?? 4700);
const TARGETS = { firstStartS: 20, warmStartS: 10, memoryMB: 800, stopS: 5 };
const NAMES = ['REGISTRY', 'SETTLEMENT', 'CIVIC', 'ENTERPRISE_CREDIT', 'SOCIAL_ORGANISATIONS', 'VOLUNTEERING'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cityEnv(dataDir: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', GATEWAY_PORT: String(BASE), EMBEDDED_PG_PORT: String(BASE + 50), EMBEDDED_PG_DIR: dataDir, QUEUE_PREFIX: `bench${BASE}` };
  NAMES.forEach((n, i) => (out[`${n}_PORT`] = String(BASE + 1 + i)));
  delete out.DATABASE_URL;
  delete out.REDIS_URL;
  return out;
}

/** pid → parent pid and resident kB, from /proc */
function processTable(): Map<number, { ppid: number; rssKb: number; cmd: string }> {
  const out = new Map<number, { ppid: number; rssKb: number; cmd: string }>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const status = fs.readFileSync(`/proc/${d}/status`, 'utf8');
      const ppid = Number(/PPid:\s+(\d+)/.exec(status)?.[1]);
      const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
      out.set(Number(d), { ppid, rssKb, cmd });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Resident memory of the process tree under pid, PostgreSQL's processes left out. */
function treeMemory(pid: number): { mb: number; processes: number } {
  const table = processTable();
  const tree = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [p, info] of table) if (!tree.has(p) && tree.has(info.ppid)) tree.add(p), (grew = true);
  }
  let kb = 0;
  let processes = 0;
  for (const p of tree) {
    const info = table.get(p);
    if (!info || /\/bin\/postgres|postgres:/.test(info.cmd)) continue;
    kb += info.rssKb;
    processes++;
  }
  return { mb: kb / 1024, processes };
}

async function firstAnswer(token: string, child: ChildProcess, started: number): Promise<number> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the city exited with code ${child.exitCode}`);
    try {
      const r = await fetch(`http://127.0.0.1:${BASE}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ divisions(parentCode: "441900") { code } }' }),
      });
      const body = (await r.json()) as { data?: { divisions?: unknown[] } };
      if (body.data?.divisions?.length) return (Date.now() - started) / 1000;
    } catch {
      // not answering yet
    }
    await sleep(100);
  }
}

async function run(label: string, dataDir: string, token: string): Promise<{ startS: number; memoryMB: number; processes: number; stopS: number }> {
  const log = fs.openSync(path.join(os.tmpdir(), `bench-city-${label}.log`), 'w');
  const started = Date.now();
  const child = spawn(process.execPath, [path.join(ROOT, 'infra', 'run.js'), 'start'], { cwd: ROOT, env: cityEnv(dataDir), stdio: ['ignore', log, log] });
  const startS = await firstAnswer(token, child, started);
  // idle: the workers have started and the demo data (first start) has loaded
  const logFile = path.join(os.tmpdir(), `bench-city-${label}.log`);
  const deadline = Date.now() + 120_000;
  const idle = (text: string) => /workers of \d+ subgraphs started|workers started/.test(text) && (process.env.DEMO_DATA === 'off' || /demo data ready/.test(text));
  while (Date.now() < deadline && !idle(fs.readFileSync(logFile, 'utf8'))) await sleep(200);
  await sleep(5_000);
  const mem = treeMemory(child.pid!);
  const stopping = Date.now();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  await exited;
  const stopS = (Date.now() - stopping) / 1000;
  fs.closeSync(log);
  return { startS, memoryMB: mem.mb, processes: mem.processes, stopS };
}

async function main() {
  const e = parseEnv({ NODE_ENV: 'development' });
  const token = await mintToken(e.AUTH_JWT_SECRET, { sub: 'bench', roles: ['CITY_ADMIN'], expiresIn: '1h' });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-city-pg-'));
  // as root, embedded PostgreSQL runs initdb as a user of its own, who must reach the folder
  fs.chmodSync(dataDir, 0o755);
  const build = spawn(process.execPath, [path.join(ROOT, 'infra', 'build.js'), '--if-stale'], { cwd: ROOT, stdio: 'inherit' });
  await new Promise((r) => build.once('exit', r));
  try {
    const first = await run('first', path.join(dataDir, 'pg'), token);
    const warm = await run('warm', path.join(dataDir, 'pg'), token);
    const row = (what: string, value: number, unit: string, target: number) =>
      console.log(`${what.padEnd(34)} ${value.toFixed(1).padStart(8)} ${unit.padEnd(3)} target ≤ ${target} ${unit}  ${value <= target ? 'met' : 'MISSED'}  (${(value / target).toFixed(2)}× the target)`);
    console.log(`\nthe city (${process.env.CITY_LAYOUT ?? 'combined'} layout), ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`);
    row('first answer, first start', first.startS, 's', TARGETS.firstStartS);
    row('first answer, warm start', warm.startS, 's', TARGETS.warmStartS);
    row(`resident memory idle (${warm.processes} processes)`, warm.memoryMB, 'MB', TARGETS.memoryMB);
    row('stop after SIGINT', warm.stopS, 's', TARGETS.stopS);
    console.log(`city: first_start_s=${first.startS.toFixed(2)} warm_start_s=${warm.startS.toFixed(2)} memory_mb=${warm.memoryMB.toFixed(0)} first_memory_mb=${first.memoryMB.toFixed(0)} stop_s=${warm.stopS.toFixed(2)} first_stop_s=${first.stopS.toFixed(2)}`);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
