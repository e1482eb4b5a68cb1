/**
 * Where a batch of member-penalty events' time goes (see explain.ts): the bench's data (6,000 organisations, `--orgs N`), then
 * EXPLAIN (ANALYZE, BUFFERS) of the one statement that regrades the first chunk (rolled back),
 * then a first yearly run with the time of each statement it sends, summed by its first words.
 * Run: node -r @swc-node/register tests/bench/social-organisations/explain.ts [--orgs 6000] [--chunk 1000]
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { Client } from 'pg';
import { withDatabase } from '@citypoints/db';
import { FixedClock } from '@citypoints/kit';
import { pingRedis, type QueueConnection } from '@citypoints/jobs';
import { socialOrganisationsModule, type SocialOrganisationsRuntime } from '@citypoints/social-organisations';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { randomUUID } from 'node:crypto';
import { applyBatchOnce, CREDIT_TOPICS, eventsMigrationSql, eventTraceMigrationSql, eventVersionsMigrationSql, OutboxRelay, publishFacts, type DomainEvent } from '@citypoints/events';
import { applyEnterpriseCreditEvents } from '../../../subgraphs/social-organisations/src/member-effects/member-effect.handlers';
import { gradeYear } from '../../../subgraphs/social-organisations/src/grading/grading.run';

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const ORGS = arg('--orgs', 6000);
const CHUNK = arg('--chunk', 1000);
const YEAR = 2030;
const S = 'social_organisations';
const admin = process.env.CITYPOINTS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function main() {
  const name = `cp_bench_so_explain_${randomBytes(4).toString('hex')}`;
  const c = new Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE "${name}"`);
  await c.end();
  const url = withDatabase(admin, name);
  const redisUrl = process.env.CITYPOINTS_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const queue: QueueConnection = (await pingRedis(redisUrl)) ? { kind: 'redis', url: redisUrl } : { kind: 'postgres', url, schema: 'bullmq' };
  const queuePrefix = `cpexplain-${randomBytes(4).toString('hex')}`;
  const inst = await socialOrganisationsModule({ gradingChunkSize: CHUNK }).create({ databaseUrl: url, queue, queuePrefix, clock: new FixedClock(new Date('2031-01-10T00:00:00Z')) });
  const ds = inst.dataSource;
  const rt = inst.runtime as SocialOrganisationsRuntime;
  try {
    console.log(`machine load (1 min): ${loadavg()[0].toFixed(1)}; ${ORGS} organisations, chunks of ${CHUNK}`);
    await ds.query(
      `INSERT INTO ${S}.organisations (uscc, name, kind, division_code)
       SELECT 'ORG' || lpad(i::text, 15, '0'), '商会' || i, CASE WHEN i % 3 = 0 THEN 'INDUSTRY_ASSOCIATION' ELSE 'CHAMBER_OF_COMMERCE' END, '441900003' FROM generate_series(1, $1) i`,
      [ORGS],
    );
    await ds.query(
      `INSERT INTO ${S}.indicator_records (uscc, year, category, points, idempotency_key, entered_by)
       SELECT 'ORG' || lpad(o::text, 15, '0'), $2, (ARRAY['BASIC_WORK','POLITICAL_ORIENTATION','INDUSTRY_SELF_DISCIPLINE','SOCIAL_GOVERNANCE','LIVELIHOOD'])[1 + r % 5],
              1 + ((o * 7 + r * 13) % 9), 'bench:' || o || ':' || r, 'bench'
       FROM generate_series(1, $1) o, generate_series(1, 10) r`,
      [ORGS, YEAR],
    );
    await ds.query(
      `INSERT INTO ${S}.violations (uscc, year, severity, idempotency_key, entered_by)
       SELECT 'ORG' || lpad(o::text, 15, '0'), $2, 10 + o % 21, 'bench-v:' || o, 'bench' FROM generate_series(1, $1, 7) o`,
      [ORGS, YEAR],
    );
    await ds.query(`ANALYZE`);

    await ds.query(
      `INSERT INTO ${S}.memberships (organisation_uscc, enterprise_uscc)
       SELECT 'ORG' || lpad((1 + (e % $1))::text, 15, '0'), 'ENT' || lpad(e::text, 15, '0') FROM generate_series(1, $2) e
       UNION ALL
       SELECT 'ORG' || lpad((1 + ((e * 31 + 7) % $1))::text, 15, '0'), 'ENT' || lpad(e::text, 15, '0') FROM generate_series(1, $2) e
       ON CONFLICT DO NOTHING`,
      [ORGS, ORGS * 5],
    );
    await gradeYear(rt, YEAR, null);
    await ds.query('ANALYZE');
    const event = (i: number): DomainEvent => ({
      id: randomUUID(), topic: 'enterprise-credit.record.recorded', aggregateId: 'ENT' + String(i + 1).padStart(15, '0'), version: 1, schemaVersion: 1,
      payload: { recordId: `bench-rec-${i}`, uscc: 'ENT' + String(i + 1).padStart(15, '0'), kind: 'PENALTY', occurredOn: `${YEAR}-06-01`, publicUntil: `${YEAR + 1}-06-01` },
      createdAt: new Date().toISOString(), source: 'enterprise_credit',
    });
    const times = new Map<string, { n: number; ms: number }>();
    const orig = PostgresQueryRunner.prototype.query;
    PostgresQueryRunner.prototype.query = async function (this: PostgresQueryRunner, ...args: Parameters<typeof orig>) {
      const t = process.hrtime.bigint();
      try {
        return await orig.apply(this, args);
      } finally {
        const k = String(args[0]).replace(/\s+/g, ' ').trim().slice(0, 70);
        const e = times.get(k) ?? { n: 0, ms: 0 };
        e.n++;
        e.ms += Number(process.hrtime.bigint() - t) / 1e6;
        times.set(k, e);
      }
    };
    const t = process.hrtime.bigint();
    for (let b = 0; b < 10; b++) {
      const batch = Array.from({ length: 100 }, (_, k) => event(b * 100 + k));
      await applyBatchOnce(ds, S, 'social-organisations', (m, es) => applyEnterpriseCreditEvents(rt, m, es), batch);
    }
    const total = Number(process.hrtime.bigint() - t) / 1e6;
    // one more batch, its regrade statement explained (then rolled back)
    PostgresQueryRunner.prototype.query = async function (this: PostgresQueryRunner, ...args: Parameters<typeof orig>) {
      if (!String(args[0]).startsWith('WITH def AS')) return orig.apply(this, args);
      const plan = (await orig.apply(this, [`EXPLAIN (ANALYZE, BUFFERS) ${args[0]}`, args[1]])) as { 'QUERY PLAN': string }[];
      console.log(plan.map((r) => r['QUERY PLAN'].slice(0, 200)).join('\n'));
      throw Object.assign(new Error('explained'), { explained: true });
    };
    await applyBatchOnce(ds, S, 'social-organisations', (m, es) => applyEnterpriseCreditEvents(rt, m, es), Array.from({ length: 100 }, (_, k) => event(1000 + k))).catch((e: { explained?: boolean }) => {
      if (!e.explained) throw e;
    });
    PostgresQueryRunner.prototype.query = orig;
    // the live path: outbox → relay → queue → the subgraph's consumer, each batch's claim and commit stamped
    const ec = 'enterprise_credit';
    await ds.query(`CREATE SCHEMA IF NOT EXISTS ${ec}`);
    for (const sql of [...eventsMigrationSql(ec).up, ...eventVersionsMigrationSql(ec).up, ...eventTraceMigrationSql(ec).up]) await ds.query(sql);
    await ds.transaction((m) =>
      publishFacts(m, ec, CREDIT_TOPICS.recordRecorded, Array.from({ length: 1000 }, (_, k) => ({
        aggregateId: 'ENT' + String(2001 + k).padStart(15, '0'),
        payload: { recordId: `live-${k}`, uscc: 'ENT' + String(2001 + k).padStart(15, '0'), kind: 'PENALTY', occurredOn: `${YEAR}-06-01`, publicUntil: null },
      }))),
    );
    const stamps: string[] = [];
    const t0 = process.hrtime.bigint();
    const at = () => (Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0);
    PostgresQueryRunner.prototype.query = async function (this: PostgresQueryRunner, ...args: Parameters<typeof orig>) {
      const sql = String(args[0]);
      const claim = sql.includes('"inbox" ("event_id", "consumer") SELECT');
      const began = at();
      const r = await orig.apply(this, args);
      if (claim) stamps.push(`claim of ${(args[1] as unknown[][])[0].length} sent at ${began} ms, answered at ${at()} ms`);
      else stamps.push(`${sql.replace(/\s+/g, ' ').slice(0, 70)} sent at ${began} ms, answered at ${at()} ms`);
      return r;
    };
    await inst.startWorkers();
    const relay = new OutboxRelay({ dataSource: ds, schema: ec, connection: queue, prefix: queuePrefix, batchSize: 500, pollMs: 20 });
    relay.start();
    for (;;) {
      const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM ${S}.credit_record_facts WHERE record_id LIKE 'live-%'`);
      if (n === 1000) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    console.log(`\nlive path: 1,000 events applied by ${at()} ms`);
    await relay.stop();
    PostgresQueryRunner.prototype.query = orig;
    console.log(stamps.join('\n'));
    console.log(`\n1,000 events in batches of 100: ${total.toFixed(0)} ms; by statement:`);
    for (const [k, v] of [...times].sort((a, b) => b[1].ms - a[1].ms)) console.log(`  ${v.ms.toFixed(1).padStart(8)} ms ${String(v.n).padStart(4)}x  ${k}`);
  } finally {
    await inst.close();
    const d = new Client({ connectionString: admin });
    await d.connect();
    await d.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await d.end();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
