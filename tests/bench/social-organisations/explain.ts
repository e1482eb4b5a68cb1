/**
 * Where a grading chunk's time goes: the bench's data (6,000 organisations, `--orgs N`), then
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
import { regradeSql } from '../../../subgraphs/social-organisations/src/grading/grading.service';
import { gradeYear } from '../../../subgraphs/social-organisations/src/grading/grading.run';
import { schemeForYear } from '../../../subgraphs/social-organisations/src/scheme/scheme.service';

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
  const inst = await socialOrganisationsModule({ gradingChunkSize: CHUNK }).create({ databaseUrl: url, queue, queuePrefix: `cpexplain-${randomBytes(4).toString('hex')}`, clock: new FixedClock(new Date('2031-01-10T00:00:00Z')) });
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

    const usccs = Array.from({ length: Math.min(CHUNK, ORGS) }, (_, i) => 'ORG' + String(i + 1).padStart(15, '0'));
    const scheme = await schemeForYear(ds, YEAR);
    await ds.transaction(async (m) => {
      const plan: { 'QUERY PLAN': string }[] = await m.query(`EXPLAIN (ANALYZE, BUFFERS, TIMING) ${regradeSql(rt.ledger)}`, [
        usccs, YEAR, scheme.id, scheme.code, scheme.version, new Date(), JSON.stringify(scheme.definition), 'explain',
      ]);
      console.log(plan.map((r) => r['QUERY PLAN'].slice(0, 240)).join('\n'));
      throw Object.assign(new Error('rolled back'), { rolledBack: true });
    }).catch((e: { rolledBack?: boolean }) => {
      if (!e.rolledBack) throw e;
    });

    // a whole run, every statement timed
    const times = new Map<string, { n: number; ms: number }>();
    const orig = PostgresQueryRunner.prototype.query;
    PostgresQueryRunner.prototype.query = async function (this: PostgresQueryRunner, ...args: Parameters<typeof orig>) {
      const t = process.hrtime.bigint();
      try {
        return await orig.apply(this, args);
      } finally {
        const k = String(args[0]).replace(/\s+/g, ' ').trim().slice(0, 60);
        const e = times.get(k) ?? { n: 0, ms: 0 };
        e.n++;
        e.ms += Number(process.hrtime.bigint() - t) / 1e6;
        times.set(k, e);
      }
    };
    const t = process.hrtime.bigint();
    await gradeYear(rt, YEAR, null);
    const total = Number(process.hrtime.bigint() - t) / 1e6;
    PostgresQueryRunner.prototype.query = orig;
    console.log(`\nfirst run: ${total.toFixed(0)} ms; by statement:`);
    for (const [k, v] of [...times].sort((a, b) => b[1].ms - a[1].ms)) console.log(`  ${v.ms.toFixed(1).padStart(8)} ms ${String(v.n).padStart(4)}x  ${k}`);
  } finally {
    await inst.close();
    if (process.argv.includes('--keep')) {
      console.log(`kept database ${name}`);
      return;
    }
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
