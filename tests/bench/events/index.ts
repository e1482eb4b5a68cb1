/**
 * Propagation benchmark: how long from a registry write committing to every consumer of it
 * (settlement, civic, volunteering) having applied its event, on Redis and on BullMQ's
 * PostgreSQL backend. Residents are registered at a steady rate by registry's own code, each in
 * its own transaction; the relay and the consumers run as in production. Latency of an event =
 * the latest of its consumers' inbox times (the start of the applying transaction, on the
 * database's clock) minus its outbox time (the insert in the producing transaction, same clock).
 * Prints p50/p95/p99/max per backend with the relay's poll interval and the targets
 * (p99 ≤ 250 ms on Redis, ≤ 1 s on PostgreSQL), where the time goes (outbox → relay, relay →
 * last consumer), and the same run with each consumer taking one event at a time as the baseline
 * (the ratio is current / baseline). The machine's load average is printed beside each figure:
 * on a shared machine the figures move with it. The last line is `name: value` pairs.
 * Run: node -r @swc-node/register tests/bench/events/index.ts [--events N] [--rate per-second] [--backend redis|postgres] [--no-baseline]
 * (BENCH_DEBUG=1 adds the subgraphs' logs on stderr and every consumer's latency through the run, to tell a backlog from a stall.)
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { createTestDatabase } from '@citypoints/db';
import { DEFAULT_CONSUMER_CONCURRENCY, DEFAULT_RELAY_POLL_MS } from '@citypoints/events';
import type { SubgraphInstance, SubgraphModule } from '@citypoints/federation';
import { pingRedis, type QueueConnection } from '@citypoints/jobs';
import { makeIdNumber, systemClock } from '@citypoints/kit';
import { registry } from '@citypoints/registry';
import { settlement } from '@citypoints/settlement';
import { civic } from '@citypoints/civic';
import { volunteering } from '@citypoints/volunteering';
import { insertResident } from '../../../subgraphs/registry/src/residents/resident.service';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const flag = (name: string) => process.argv.includes(`--${name}`);
const text = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const EVENTS = arg('events', 300);
const RATE = arg('rate', 30);
const CONSUMERS: { module: SubgraphModule; schema: string; name: string }[] = [
  { module: settlement, schema: 'settlement', name: 'settlement' },
  { module: civic, schema: 'civic', name: 'civic' },
  { module: volunteering, schema: 'volunteering', name: 'volunteering' },
];
const TARGET_P99_MS = { redis: 250, postgres: 1000 } as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => loadavg()[0].toFixed(1);
const debugLog = process.env.BENCH_DEBUG ? { log: (m: string) => console.error(m) } : {};
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

interface Result {
  backend: 'redis' | 'postgres';
  /** events each consumer takes at once */
  concurrency: number;
  load: string;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  events: number;
}

async function measure(backend: 'redis' | 'postgres', redisUrl: string, concurrency: number): Promise<Result> {
  const db = await createTestDatabase(`bench_events_${backend}`);
  const queue: QueueConnection = backend === 'redis' ? { kind: 'redis', url: redisUrl } : { kind: 'postgres', url: db.url, schema: 'bullmq' };
  const queuePrefix = `bench${randomUUID().slice(0, 8)}`;
  const instances: SubgraphInstance[] = [];
  try {
    const reg = await registry.create({ databaseUrl: db.url, queue, queuePrefix, clock: systemClock, ...debugLog });
    instances.push(reg);
    for (const c of CONSUMERS) instances.push(await c.module.create({ databaseUrl: db.url, queue, queuePrefix, clock: systemClock, eventConcurrency: concurrency, ...debugLog }));
    for (const i of instances) await i.startWorkers();

    const ids: string[] = [];
    const started = Date.now();
    for (let n = 0; n < EVENTS; n++) {
      // a steady rate, not a burst: each write is a clerk's, and latency is measured per write
      const due = started + (n * 1000) / RATE;
      if (due > Date.now()) await sleep(due - Date.now());
      const row = await reg.dataSource.transaction((m) =>
        insertResident(m, { idNumber: makeIdNumber('441900', '1990-01-01', n + 1), name: `测试${n}`, birthDate: '1990-01-01', hukou: 'MIGRANT', divisionCode: '441900003001', householdId: null }),
      );
      ids.push(row.id);
    }
    // every consumer applies every event (a generous wait: the figures come from the timestamps, not from this loop)
    const deadline = Date.now() + 120_000;
    for (;;) {
      const counts = await Promise.all(
        CONSUMERS.map(async (c) => Number((await reg.dataSource.query(`SELECT count(*) AS n FROM "${c.schema}".residents WHERE id = ANY($1::uuid[])`, [ids]))[0].n)),
      );
      if (counts.every((n) => n === ids.length)) break;
      if (Date.now() > deadline) throw new Error(`${backend}: consumers applied ${counts.join('/')} of ${ids.length} within 120 s`);
      await sleep(200);
    }
    const rows: { ms: number }[] = await reg.dataSource.query(
      `SELECT extract(epoch FROM (max(i.processed_at) - o.created_at)) * 1000 AS ms
       FROM registry.outbox o
       JOIN (${CONSUMERS.map((c) => `SELECT event_id, processed_at FROM "${c.schema}".inbox`).join(' UNION ALL ')}) i ON i.event_id = o.id
       WHERE o.topic = 'registry.resident.registered' AND o.aggregate_id = ANY($1)
       GROUP BY o.id, o.created_at HAVING count(*) = $2`,
      [ids, CONSUMERS.length],
    );
    const ms = rows.map((r) => Math.max(0, Number(r.ms))).sort((a, b) => a - b);
    // where the time goes: outbox → claimed by the relay, and claimed → applied by the last consumer
    const stages: { relay: number; consume: number }[] = await reg.dataSource.query(
      `SELECT extract(epoch FROM (o.relayed_at - o.created_at)) * 1000 AS relay, extract(epoch FROM (max(i.processed_at) - o.relayed_at)) * 1000 AS consume
       FROM registry.outbox o
       JOIN (${CONSUMERS.map((c) => `SELECT event_id, processed_at FROM "${c.schema}".inbox`).join(' UNION ALL ')}) i ON i.event_id = o.id
       WHERE o.topic = 'registry.resident.registered' AND o.aggregate_id = ANY($1)
       GROUP BY o.id, o.created_at, o.relayed_at`,
      [ids],
    );
    if (process.env.BENCH_DEBUG) {
      const per: { consumer: string; n: number; ms: number }[] = await reg.dataSource.query(
        `SELECT i.c AS consumer, row_number() OVER (PARTITION BY i.c ORDER BY o.created_at) AS n, extract(epoch FROM (i.processed_at - o.relayed_at)) * 1000 AS ms
         FROM registry.outbox o JOIN (${CONSUMERS.map((c) => `SELECT '${c.name}' AS c, event_id, processed_at FROM "${c.schema}".inbox`).join(' UNION ALL ')}) i ON i.event_id = o.id
         WHERE o.aggregate_id = ANY($1) ORDER BY 1, 2`,
        [ids],
      );
      for (const r of per) if (Number(r.n) % 15 === 1) console.log(`    ${r.consumer} #${r.n}: ${Number(r.ms).toFixed(0)} ms`);
    }
    const relay = stages.map((r) => Math.max(0, Number(r.relay))).sort((a, b) => a - b);
    const consume = stages.map((r) => Math.max(0, Number(r.consume))).sort((a, b) => a - b);
    console.log(
      `  ${backend}, ${concurrency} at once: outbox → relay p50 ${pct(relay, 50).toFixed(0)} ms, p99 ${pct(relay, 99).toFixed(0)} ms; relay → last consumer p50 ${pct(consume, 50).toFixed(0)} ms, p99 ${pct(consume, 99).toFixed(0)} ms`,
    );
    return { backend, concurrency, load: load(), p50: pct(ms, 50), p95: pct(ms, 95), p99: pct(ms, 99), max: ms[ms.length - 1], events: ms.length };
  } finally {
    for (const i of instances.reverse()) await i.close().catch(() => undefined);
    await db.drop().catch(() => undefined);
  }
}

async function main() {
  process.env.CITYPOINTS_TEST_PG_URL = process.env.CITYPOINTS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.CITYPOINTS_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const only = text('backend');
  const backends = ((await pingRedis(redisUrl, 10_000)) ? (['redis', 'postgres'] as const) : (['postgres'] as const)).filter((b) => !only || b === only);
  const baseline = !flag('no-baseline');
  console.log(
    `events: ${EVENTS} resident registrations at ${RATE}/s; consumers: ${CONSUMERS.map((c) => c.name).join(', ')}; relay poll interval ${DEFAULT_RELAY_POLL_MS} ms (woken by NOTIFY); ` +
      `each consumer takes ${DEFAULT_CONSUMER_CONCURRENCY} events at once${baseline ? ', baseline 1' : ''}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  );
  if (!backends.includes('redis')) console.log(`Redis at ${redisUrl} did not answer: PostgreSQL backend only`);
  const results: Result[] = [];
  const baselines = new Map<string, Result>();
  const line = (r: Result) =>
    `p50 ${r.p50.toFixed(0)} ms, p95 ${r.p95.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms, max ${r.max.toFixed(0)} ms over ${r.events} events (load ${r.load})`;
  for (const b of backends) {
    if (baseline) {
      const base = await measure(b, redisUrl, 1);
      baselines.set(b, base);
      console.log(`${b.padEnd(8)} baseline, one event at a time: ${line(base)}`);
    }
    const r = await measure(b, redisUrl, DEFAULT_CONSUMER_CONCURRENCY);
    results.push(r);
    const target = TARGET_P99_MS[b];
    const base = baselines.get(b);
    console.log(
      `${b.padEnd(8)}: ${line(r)}; target p99 ≤ ${target} ms: ${r.p99 <= target ? 'met' : 'MISSED'}${base ? `; p99 ratio to baseline ${(r.p99 / base.p99).toFixed(2)}` : ''}`,
    );
  }
  const pairs = [`relay_poll_ms: ${DEFAULT_RELAY_POLL_MS}`, `consumer_concurrency: ${DEFAULT_CONSUMER_CONCURRENCY}`];
  for (const r of results) {
    pairs.push(`${r.backend}_p50_ms: ${r.p50.toFixed(0)}`, `${r.backend}_p95_ms: ${r.p95.toFixed(0)}`, `${r.backend}_p99_ms: ${r.p99.toFixed(0)}`);
    const base = baselines.get(r.backend);
    if (base) pairs.push(`${r.backend}_baseline_p99_ms: ${base.p99.toFixed(0)}`, `${r.backend}_p99_ratio: ${(r.p99 / base.p99).toFixed(2)}`);
    pairs.push(`${r.backend}_load: ${r.load}`);
  }
  console.log(pairs.join(', '));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
