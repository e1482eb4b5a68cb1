import { randomUUID } from 'node:crypto';
import { eventually, ok, seed, startCity, type GraphQLResponse, type TestCity } from '@citypoints/test-city';
import { registry } from '@citypoints/registry';
import { civic, type CivicRuntime } from '@citypoints/civic';
import { createQueue } from '@citypoints/jobs';
import { startDedicatedPostgres, type DedicatedPostgres } from './dedicated-postgres';

const VILLAGE = '441900003001';
const RESIDENTS = 4;
const LANES = 4;
const GRAMS = 2500;
/** PAPER at the seeded market price: 2.5 kg earn 3 points */
const POINTS = 3;

interface Attempt {
  key: string;
  residentId: string;
  outcome: 'committed' | string[];
}

const CREDIT = `mutation($r: ID!, $k: String!, $g: Int!) { creditRecyclables(residentId: $r, material: "PAPER", grams: $g, idempotencyKey: $k) { balance } }`;

/**
 * The city's PostgreSQL restarted (fast shutdown: sessions terminated, open transactions rolled
 * back) while registrars keep crediting recyclables: every request in flight either committed or
 * failed with SERVICE_UNAVAILABLE, /ready says not ready while the database is gone, the pools
 * reconnect on their own, and a retry with the same idempotency key finishes each failed request
 * exactly once. The outbox relay and the event consumers carry on afterwards, also when BullMQ's
 * queues live on the restarted server itself.
 */
// on Redis when the machine has one (the queues then stay up), and with BullMQ's PostgreSQL backend
// on the restarted server itself (the queues, the relay's LISTEN and the workers go down with it)
const BACKENDS = [...(process.env.CITYPOINTS_TEST_REDIS_URL ? ['redis' as const] : []), 'postgres' as const];

describe.each(BACKENDS)('PostgreSQL restarted under traffic (queues on %s)', (backend) => {
  let pg: DedicatedPostgres;
  let city: TestCity;
  const previousAdminUrl = process.env.CITYPOINTS_TEST_PG_URL;
  const redisUrl = process.env.CITYPOINTS_TEST_REDIS_URL;

  beforeAll(async () => {
    pg = await startDedicatedPostgres();
    // the city's databases are created on the dedicated server (only this test file's process sees it)
    process.env.CITYPOINTS_TEST_PG_URL = pg.url;
    if (backend === 'postgres') delete process.env.CITYPOINTS_TEST_REDIS_URL;
    try {
      city = await startCity({ modules: [registry, civic], workers: true, label: `faults_pg_restart_${backend}` });
    } finally {
      if (redisUrl) process.env.CITYPOINTS_TEST_REDIS_URL = redisUrl;
    }
    expect(city.queue.kind).toBe(backend);
  });
  afterAll(async () => {
    await city?.close().catch(() => undefined);
    await pg?.destroy();
    process.env.CITYPOINTS_TEST_PG_URL = previousAdminUrl;
  });

  it('fails in-flight writes with SERVICE_UNAVAILABLE, reconnects, and finishes each on retry exactly once', async () => {
    const cv = city.instances.civic.dataSource;
    const residents: string[] = [];
    for (let i = 0; i < RESIDENTS; i++) residents.push((await seed(city).resident({ divisionCode: VILLAGE })).id);
    await eventually(async () => Number((await cv.query(`SELECT count(*) AS n FROM civic.residents WHERE id = ANY($1::uuid[])`, [residents]))[0].n) === RESIDENTS, 30_000);
    const registrar = await city.token('VILLAGE_REGISTRAR', { sub: 'registrar-faults', division: VILLAGE });
    const credit = (a: Pick<Attempt, 'key' | 'residentId'>) => city.query<{ creditRecyclables: { balance: number } }>(CREDIT, { r: a.residentId, k: a.key, g: GRAMS }, registrar);
    const outcomeOf = (r: GraphQLResponse): Attempt['outcome'] => (r.errors?.length ? r.errors.map((e) => String(e.extensions?.code)) : 'committed');

    // lanes of registrars crediting one collection after another until told to stop
    const attempts: Attempt[] = [];
    let stopping = false;
    const lane = async (l: number) => {
      for (let n = 0; !stopping; n++) {
        const a = { key: `lane${l}-${n}-${randomUUID()}`, residentId: residents[(l + n) % RESIDENTS] };
        attempts.push({ ...a, outcome: outcomeOf(await credit(a)) });
      }
    };
    const committed = () => attempts.filter((a) => a.outcome === 'committed').length;
    const lanes = Array.from({ length: LANES }, (_, l) => lane(l));
    try {
      await eventually(async () => committed() >= 20, 30_000, 20);

      // fast shutdown under the stream
      const beforeStop = attempts.length;
      await pg.stop();
      // requests made while it is down fail, each with the one clear code
      await eventually(async () => attempts.slice(beforeStop).filter((a) => a.outcome !== 'committed').length >= LANES, 30_000, 20);
      const ready = await fetch(city.servers.civic.url.replace(/graphql$/, 'ready'));
      expect(ready.status).toBe(503);
      expect((await ready.json()).checks.database).toBe(false);

      await pg.start();
      // the pools reconnect by themselves: writes commit again without restarting anything
      const afterStart = attempts.length;
      await eventually(async () => attempts.slice(afterStart).filter((a) => a.outcome === 'committed').length >= 20, 60_000, 20);
      const readyAgain = await eventually(async () => (await fetch(city.servers.civic.url.replace(/graphql$/, 'ready'))).status === 200, 30_000);
      expect(readyAgain).toBe(true);
    } finally {
      stopping = true;
      await Promise.all(lanes);
    }

    const failed = attempts.filter((a) => a.outcome !== 'committed');
    expect(failed.length).toBeGreaterThanOrEqual(LANES);
    // no failure but the clear one: no INTERNAL_SERVER_ERROR, no stack
    expect([...new Set(failed.flatMap((a) => a.outcome as string[]))]).toEqual(['SERVICE_UNAVAILABLE']);

    // the clerks retry what failed, with the same keys: each finishes (committed by now, or now)
    for (const a of failed) expect(outcomeOf(await credit(a))).toBe('committed');
    // and a retry of what had committed replays it
    for (const a of attempts.filter((x) => x.outcome === 'committed').slice(0, 5)) expect(outcomeOf(await credit(a))).toBe('committed');

    // exactly once: one collection per key, one ledger transaction per collection, balances their sum
    const keys = attempts.map((a) => a.key);
    const [{ collections, distinctKeys }] = await cv.query(
      `SELECT count(*)::int AS collections, count(DISTINCT idempotency_key)::int AS "distinctKeys" FROM civic.green_collections WHERE recorded_by = 'registrar-faults' AND idempotency_key = ANY($1)`,
      [keys],
    );
    expect({ collections, distinctKeys }).toEqual({ collections: keys.length, distinctKeys: keys.length });
    const [{ transactions }] = await cv.query(
      `SELECT count(*)::int AS transactions FROM civic.ledger_transactions t JOIN civic.green_collections c ON t.idempotency_key = 'civic:green-collection:' || c.id
        WHERE c.recorded_by = 'registrar-faults'`,
    );
    expect(transactions).toBe(keys.length);
    const expected = new Map<string, number>();
    for (const a of attempts) expected.set(a.residentId, (expected.get(a.residentId) ?? 0) + POINTS);
    for (const id of residents) {
      const r = ok(await credit({ key: `check-${id}`, residentId: id }));
      expect(r.creditRecyclables.balance).toBe((expected.get(id) ?? 0) + POINTS);
    }
    const rt = city.instances.civic.runtime as CivicRuntime;
    expect(await cv.transaction((m) => rt.ledger.checkInvariants(m))).toEqual([]);

    // the outbox relay and the event consumers survived the outage: a resident registered now reaches civic
    const late = await seed(city).resident({ divisionCode: VILLAGE });
    await eventually(async () => (await cv.query(`SELECT 1 FROM civic.residents WHERE id = $1`, [late.id])).length === 1, 60_000).catch(async (e) => {
      // where it stopped: still in registry's outbox, or on civic's queue
      const outbox = await city.instances.registry.dataSource.query(`SELECT topic, relayed_at FROM registry.outbox WHERE aggregate_id = $1`, [late.id]);
      const q = createQueue('events.civic', city.queue, { prefix: city.queuePrefix });
      const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
      await q.close();
      throw new Error(`${String(e)} outbox=${JSON.stringify(outbox)} counts=${JSON.stringify(counts)}`);
    });
    const [{ n: inRegistry }] = await city.instances.registry.dataSource.query(`SELECT count(*)::int AS n FROM registry.outbox WHERE aggregate_id = $1 AND relayed_at IS NOT NULL`, [late.id]);
    expect(inRegistry).toBeGreaterThan(0);
  });
});
