import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { reachable } from '../src/probe';
import { startEmbeddedPostgres } from '../src/embedded-postgres';

/**
 * Finds PostgreSQL and Redis for the tests: the machine's own at 127.0.0.1 when they run,
 * otherwise an embedded PostgreSQL (and BullMQ's PostgreSQL backend instead of Redis).
 */
export default async function globalSetup(): Promise<void> {
  // CITYPOINTS_TEST_EMBEDDED=1 behaves as a machine with neither service running
  const embeddedOnly = process.env.CITYPOINTS_TEST_EMBEDDED === '1';
  if (embeddedOnly) process.env.CITYPOINTS_TEST_NO_REDIS = '1';
  if (!process.env.CITYPOINTS_TEST_PG_URL) {
    if (!embeddedOnly && (await reachable('127.0.0.1', 5432))) {
      process.env.CITYPOINTS_TEST_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
    } else {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citypoints-pg-'));
      const port = 55000 + Math.floor(Math.random() * 5000);
      const pg = await startEmbeddedPostgres(dir, port);
      process.env.CITYPOINTS_TEST_PG_URL = pg.url;
      (globalThis as Record<string, unknown>).__citypointsPg = { pg, dir };
    }
  }
  if (!process.env.CITYPOINTS_TEST_REDIS_URL && !process.env.CITYPOINTS_TEST_NO_REDIS) {
    if (await reachable('127.0.0.1', 6379)) process.env.CITYPOINTS_TEST_REDIS_URL = 'redis://127.0.0.1:6379';
  }
}
