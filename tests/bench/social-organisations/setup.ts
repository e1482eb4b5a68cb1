/**
 * What the social-organisations bench scripts share (index.ts, explain.ts, explain-events.ts): a
 * database of their own with the subgraph started on it, the same generated organisations,
 * records, violations and memberships, member-penalty events, and the timing helpers.
 */
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { withDatabase } from '@citypoints/db';
import { FixedClock } from '@citypoints/kit';
import { applyBatchOnce, CREDIT_TOPICS, eventsMigrationSql, eventTraceMigrationSql, eventVersionsMigrationSql, OutboxRelay, publishFacts, type DomainEvent } from '@citypoints/events';
import { pingRedis, type QueueConnection } from '@citypoints/jobs';
import { socialOrganisationsModule, type SocialOrganisationsRuntime } from '@citypoints/social-organisations';
import { applyEnterpriseCreditEvents } from '../../../subgraphs/social-organisations/src/member-effects/member-effect.handlers';

export const YEAR = 2030;
export const S = 'social_organisations';
/** The schema enterprise-credit's outbox is created in, in the bench's database, for the live path. */
export const EC = 'enterprise_credit';
export const quick = process.argv.includes('--quick');

/** A numeric option of the command line (`--orgs 6000`), else `d`. */
const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};

/** The n-th (from 1) generated organisation's and member enterprise's USCC. */
export const orgUscc = (n: number) => 'ORG' + String(n).padStart(15, '0');
export const entUscc = (n: number) => 'ENT' + String(n).padStart(15, '0');

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, value };
}

export const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

/** Polls `done` every 10 ms until it holds. */
export async function until(done: () => Promise<boolean>): Promise<void> {
  while (!(await done())) await new Promise((r) => setTimeout(r, 10));
}

export interface Bench {
  ds: DataSource;
  rt: SocialOrganisationsRuntime;
  queue: QueueConnection;
  queuePrefix: string;
  startWorkers(): Promise<void>;
  /** closes the subgraph and drops the database (kept with `--keep`, its name printed) */
  close(): Promise<void>;
}

const admin = process.env.CITYPOINTS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A database of its own (`<database>_<random>`) with the subgraph started on it (its migrations
 * run) at a fixed clock, on Redis (CITYPOINTS_BENCH_REDIS_URL, default redis://127.0.0.1:6379)
 * when reachable, else on the PostgreSQL queue backend.
 */
export async function openBench(o: { database: string; queuePrefix: string; options?: Parameters<typeof socialOrganisationsModule>[0] }): Promise<Bench> {
  const name = `${o.database}_${randomBytes(4).toString('hex')}`;
  const c = new Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE "${name}"`);
  await c.end();
  const url = withDatabase(admin, name);
  const redisUrl = process.env.CITYPOINTS_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const queue: QueueConnection = (await pingRedis(redisUrl)) ? { kind: 'redis', url: redisUrl } : { kind: 'postgres', url, schema: 'bullmq' };
  const queuePrefix = `${o.queuePrefix}-${randomBytes(4).toString('hex')}`;
  const inst = await socialOrganisationsModule(o.options).create({ databaseUrl: url, queue, queuePrefix, clock: new FixedClock(new Date('2031-01-10T00:00:00Z')) });
  return {
    ds: inst.dataSource,
    rt: inst.runtime as SocialOrganisationsRuntime,
    queue,
    queuePrefix,
    startWorkers: () => inst.startWorkers(),
    async close() {
      await inst.close();
      if (process.argv.includes('--keep')) {
        console.log(`kept database ${name}`);
        return;
      }
      const d = new Client({ connectionString: admin });
      await d.connect();
      await d.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await d.end();
    },
  };
}

/**
 * The explain scripts' bench: `--orgs N` organisations (6,000; 1,000 with `--quick`) graded in
 * chunks of `--chunk N` (1,000); its size and the machine's load printed.
 */
export async function openExplainBench(): Promise<Bench & { orgs: number; chunk: number }> {
  const orgs = arg('--orgs', quick ? 1000 : 6000);
  const chunk = arg('--chunk', 1000);
  const bench = await openBench({ database: 'cp_bench_so_explain', queuePrefix: 'cpexplain', options: { gradingChunkSize: chunk } });
  console.log(`machine load (1 min): ${loadavg()[0].toFixed(1)}; ${orgs} organisations, chunks of ${chunk}`);
  return { ...bench, orgs, chunk };
}

/**
 * `orgs` organisations with `recordsPerOrg` indicator records each in YEAR and a violation for
 * every seventh; with `enterprises`, each enterprise a member of two organisations; then ANALYZE.
 */
export async function seedOrganisations(ds: DataSource, o: { orgs: number; recordsPerOrg?: number; enterprises?: number }): Promise<void> {
  await ds.query(
    `INSERT INTO ${S}.organisations (uscc, name, kind, division_code)
     SELECT 'ORG' || lpad(i::text, 15, '0'), '商会' || i, CASE WHEN i % 3 = 0 THEN 'INDUSTRY_ASSOCIATION' ELSE 'CHAMBER_OF_COMMERCE' END, '441900003'
     FROM generate_series(1, $1) i`,
    [o.orgs],
  );
  await ds.query(
    `INSERT INTO ${S}.indicator_records (uscc, year, category, points, idempotency_key, entered_by)
     SELECT 'ORG' || lpad(o::text, 15, '0'), $2, (ARRAY['BASIC_WORK','POLITICAL_ORIENTATION','INDUSTRY_SELF_DISCIPLINE','SOCIAL_GOVERNANCE','LIVELIHOOD'])[1 + r % 5],
            1 + ((o * 7 + r * 13) % 9), 'bench:' || o || ':' || r, 'bench'
     FROM generate_series(1, $1) o, generate_series(1, $3) r`,
    [o.orgs, YEAR, o.recordsPerOrg ?? 10],
  );
  await ds.query(
    `INSERT INTO ${S}.violations (uscc, year, severity, idempotency_key, entered_by)
     SELECT 'ORG' || lpad(o::text, 15, '0'), $2, 10 + o % 21, 'bench-v:' || o, 'bench' FROM generate_series(1, $1, 7) o`,
    [o.orgs, YEAR],
  );
  if (o.enterprises) {
    await ds.query(
      `INSERT INTO ${S}.memberships (organisation_uscc, enterprise_uscc)
       SELECT 'ORG' || lpad((1 + (e % $1))::text, 15, '0'), 'ENT' || lpad(e::text, 15, '0') FROM generate_series(1, $2) e
       UNION ALL
       SELECT 'ORG' || lpad((1 + ((e * 31 + 7) % $1))::text, 15, '0'), 'ENT' || lpad(e::text, 15, '0') FROM generate_series(1, $2) e
       ON CONFLICT DO NOTHING`,
      [o.orgs, o.enterprises],
    );
  }
  await ds.query(`ANALYZE`);
}

/** A penalty recorded against the i-th (from 0) member enterprise, as enterprise-credit publishes it. */
export const penaltyEvent = (i: number): DomainEvent => ({
  id: randomUUID(),
  topic: 'enterprise-credit.record.recorded',
  aggregateId: entUscc(i + 1),
  version: 1,
  schemaVersion: 1,
  payload: { recordId: `bench-rec-${i}`, uscc: entUscc(i + 1), kind: 'PENALTY', occurredOn: `${YEAR}-06-01`, publicUntil: `${YEAR + 1}-06-01` },
  createdAt: new Date().toISOString(),
  source: 'enterprise_credit',
});

/** A batch of events applied as the subgraph's consumer applies what arrived together: one transaction. */
export const applyPenalties = (b: Bench, events: DomainEvent[]) => applyBatchOnce(b.ds, S, 'social-organisations', (m, es) => applyEnterpriseCreditEvents(b.rt, m, es), events);

/** enterprise-credit's outbox tables in the bench's database, for the live path. */
export async function createCreditOutbox(ds: DataSource): Promise<void> {
  await ds.query(`CREATE SCHEMA IF NOT EXISTS ${EC}`);
  for (const sql of [...eventsMigrationSql(EC).up, ...eventVersionsMigrationSql(EC).up, ...eventTraceMigrationSql(EC).up]) await ds.query(sql);
}

/** `count` penalties against the enterprises from the `from`-th (from 0) on, published into the outbox in one transaction. */
export async function publishPenalties(ds: DataSource, o: { from: number; count: number; recordPrefix: string; publicUntil: string | null }): Promise<void> {
  await ds.transaction((m) =>
    publishFacts(m, EC, CREDIT_TOPICS.recordRecorded, Array.from({ length: o.count }, (_, k) => ({
      aggregateId: entUscc(o.from + k + 1),
      payload: { recordId: `${o.recordPrefix}${k}`, uscc: entUscc(o.from + k + 1), kind: 'PENALTY', occurredOn: `${YEAR}-06-01`, publicUntil: o.publicUntil },
    }))),
  );
}

/** The relay that moves enterprise-credit's outbox onto the bench's queue (not started). */
export const creditRelay = (b: Bench) => new OutboxRelay({ dataSource: b.ds, schema: EC, connection: b.queue, prefix: b.queuePrefix, batchSize: 500, pollMs: 20 });

type Query = PostgresQueryRunner['query'];

/** Every statement TypeORM sends to PostgreSQL goes through `around` (`send` sends it) until the returned function is called. */
export function interceptQueries(around: (send: Query, args: Parameters<Query>) => ReturnType<Query>): () => void {
  const orig = PostgresQueryRunner.prototype.query;
  PostgresQueryRunner.prototype.query = function (this: PostgresQueryRunner, ...args: Parameters<Query>) {
    return around((...a) => orig.apply(this, a), args);
  };
  return () => {
    PostgresQueryRunner.prototype.query = orig;
  };
}

/** Times every statement sent until `stop()`, summed by its first `width` characters; `report()` lists the sums, the largest first. */
export function timeStatements(width: number): { stop: () => void; report: () => string } {
  const times = new Map<string, { n: number; ms: number }>();
  const stop = interceptQueries(async (send, args) => {
    const t = process.hrtime.bigint();
    try {
      return await send(...args);
    } finally {
      const k = String(args[0]).replace(/\s+/g, ' ').trim().slice(0, width);
      const e = times.get(k) ?? { n: 0, ms: 0 };
      e.n++;
      e.ms += Number(process.hrtime.bigint() - t) / 1e6;
      times.set(k, e);
    }
  });
  return {
    stop,
    report: () =>
      [...times]
        .sort((a, b) => b[1].ms - a[1].ms)
        .map(([k, v]) => `  ${v.ms.toFixed(1).padStart(8)} ms ${String(v.n).padStart(4)}x  ${k}`)
        .join('\n'),
  };
}

/** Runs `main`, printing its error and exiting with 1 if it fails. */
export function runBench(main: () => Promise<void>): void {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
