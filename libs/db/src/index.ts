import 'reflect-metadata';
import { Client } from 'pg';
import { DataSource, EntityManager, MixedList, MigrationExecutor, type MigrationInterface, type QueryRunner } from 'typeorm';
import { randomBytes } from 'node:crypto';

import { SafeSqlLogger } from './sql-logger';
import { instrumentPool } from './pool-metrics';

export { DataSource, EntityManager };
export { SafeSqlLogger } from './sql-logger';
export { poolStats, type PoolStats } from './pool-metrics';

export interface SubgraphDataSourceOptions {
  url: string;
  /** the PostgreSQL schema this subgraph owns */
  schema: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function>;
  poolSize?: number;
  logging?: boolean;
  /**
   * PostgreSQL `statement_timeout` of every connection of the pool, in milliseconds (0 = none);
   * unless told, `DB_STATEMENT_TIMEOUT_MS` or 30 s. Migrations run without it.
   */
  statementTimeoutMs?: number;
}

export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;

/** The statement timeout of pools that were not given one: DB_STATEMENT_TIMEOUT_MS, else 30 s. */
export function statementTimeoutFromEnv(source: Record<string, string | undefined> = process.env): number {
  const raw = source.DB_STATEMENT_TIMEOUT_MS;
  if (raw === undefined || raw.trim() === '') return DEFAULT_STATEMENT_TIMEOUT_MS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`DB_STATEMENT_TIMEOUT_MS: not a whole number of milliseconds: ${raw}`);
  return n;
}

/** CREATE SCHEMA IF NOT EXISTS; TypeORM's `schema` option does not create it. */
export async function ensureSchema(url: string, schema: string): Promise<void> {
  assertIdentifier(schema);
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } catch (e) {
    // two processes creating the same schema at once: the loser sees a unique violation
    if ((e as { code?: string }).code !== '23505') throw e;
  } finally {
    await client.end();
  }
}

/**
 * Opens the DataSource of one subgraph: its schema created, its migrations run (each in its own
 * transaction, serialised across processes by an advisory lock), never `synchronize`.
 */
export async function openSubgraphDataSource(opts: SubgraphDataSourceOptions): Promise<DataSource> {
  await ensureSchema(opts.url, opts.schema);
  const timeout = opts.statementTimeoutMs ?? statementTimeoutFromEnv();
  if (!Number.isInteger(timeout) || timeout < 0) throw new Error(`statementTimeoutMs must be a whole number >= 0, not ${timeout}`);
  const ds = new DataSource({
    type: 'postgres',
    url: opts.url,
    schema: opts.schema,
    entities: opts.entities,
    migrations: opts.migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    // failed statements are logged by code and message only, never with their parameters
    logging: opts.logging ? ['error', 'query'] : ['error'],
    logger: new SafeSqlLogger(opts.schema, !!opts.logging),
    extra: { max: opts.poolSize ?? 10, options: `-c search_path="${opts.schema}",public -c statement_timeout=${timeout}` },
  });
  await ds.initialize();
  instrumentPool(ds, opts.schema);
  await runMigrationsUnderLock(ds, opts.schema);
  return ds;
}

/** Runs pending migrations on one connection holding the schema's advisory lock, without a statement timeout. */
async function runMigrationsUnderLock(ds: DataSource, schema: string): Promise<void> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [`migrate:${schema}`]);
    try {
      await runner.query('SET statement_timeout = 0');
      const executor = new MigrationExecutor(ds, runner);
      executor.transaction = 'each';
      await executor.executePendingMigrations();
    } finally {
      await runner.query('RESET statement_timeout').catch(() => undefined);
      await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [`migrate:${schema}`]);
    }
  } finally {
    await runner.release();
  }
}

export async function withAdvisoryLock<T>(ds: DataSource, key: string, fn: () => Promise<T>): Promise<T> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [key]);
    try {
      return await fn();
    } finally {
      await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
    }
  } finally {
    await runner.release();
  }
}

/** Runs fn in one transaction (READ COMMITTED unless told). */
export function transaction<T>(ds: DataSource, fn: (m: EntityManager) => Promise<T>): Promise<T> {
  return ds.transaction(fn);
}

/** The statements of one migration step: `up` applies it, `down` undoes it, each run in order. */
export interface MigrationSql {
  up: string[];
  down: string[];
}

/**
 * A migration class that runs the given statements. A subgraph's migration file extends it under
 * its own class name and `name` (`class EventTraceContext1765000000000 extends sqlMigration(…)`):
 * TypeORM keys an applied migration by that name, so a database migrated before keeps it applied.
 */
export function sqlMigration(sql: MigrationSql): new () => MigrationInterface {
  return class implements MigrationInterface {
    async up(q: QueryRunner): Promise<void> {
      for (const s of sql.up) await q.query(s);
    }

    async down(q: QueryRunner): Promise<void> {
      for (const s of sql.down) await q.query(s);
    }
  };
}

export function assertIdentifier(name: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a safe SQL identifier: ${name}`);
}

/** The admin connection string tests create their databases through (set by jest's globalSetup). */
export function testAdminUrl(): string {
  const url = process.env.CITYPOINTS_TEST_PG_URL;
  if (!url) throw new Error('CITYPOINTS_TEST_PG_URL is not set: run the tests through jest (its globalSetup sets it)');
  return url;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + database;
  return u.toString();
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh database for one suite: `CREATE DATABASE cp_<label>_<random>`, dropped (FORCE) after. */
export async function createTestDatabase(label = 'suite'): Promise<TestDatabase> {
  const admin = testAdminUrl();
  const safe = label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 30);
  const name = `cp_${safe}_${randomBytes(4).toString('hex')}`;
  const client = new Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  return {
    name,
    url: withDatabase(admin, name),
    async drop() {
      const c = new Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
