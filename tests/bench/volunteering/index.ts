/**
 * Volunteering benchmark. (1) The auto-confirm job settles N completed services (status move,
 * hours record, ledger award with escrow) and is compared with the bare ledger posts of the same
 * awards in the same database: the ratio is what the status machine and the records cost on top
 * of moving the points. (2) P needs with their volunteers' profiles read through the gateway in
 * one request (the batched `Resident.volunteer` path) against the same P needs one request each.
 * Ends with the ledger's invariant check, failing the run on any violation.
 * Run: node -r @swc-node/register tests/bench/volunteering/index.ts [--full]
 * Uses CITYPOINTS_BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres) for its own
 * database, created and dropped by the run.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { FixedClock, HOUR } from '@citypoints/kit';
import { Ledger } from '@citypoints/ledger';
import { registry } from '@citypoints/registry';
import { ok, startCity, type TestCity } from '@citypoints/test-city';
import { runVolunteeringJob, volunteering, type VolunteeringRuntime } from '@citypoints/volunteering';

process.env.CITYPOINTS_TEST_PG_URL ??= process.env.CITYPOINTS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const full = process.argv.includes('--full');
const NEEDS = full ? 20_000 : 2_000;
const PROFILES = full ? 2_000 : 400;
const ESCROW = 20;
const VILLAGE = '441900003001';

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t = process.hrtime.bigint();
  const value = await fn();
  return { seconds: Number(process.hrtime.bigint() - t) / 1e9, value };
}

/** Residents in the projection, and N services completed four days ago, each with its escrow held. */
async function prepare(city: TestCity, now: Date): Promise<{ volunteers: string[]; needs: number }> {
  const ds = city.instances.volunteering.dataSource;
  const ledger = new Ledger({ schema: 'volunteering' });
  const volunteers = Array.from({ length: Math.max(PROFILES, 200) }, () => randomUUID());
  const requesters = Array.from({ length: 200 }, () => randomUUID());
  const everyone = [...volunteers, ...requesters];
  await ds.query(`INSERT INTO volunteering.residents (id, division_code) SELECT id, $2 FROM unnest($1::uuid[]) AS id`, [everyone, VILLAGE]);
  await ds.query(`INSERT INTO volunteering.volunteers (resident_id, registered_at) SELECT id, $2 FROM unnest($1::uuid[]) AS id`, [volunteers, now]);
  const completedAt = new Date(now.getTime() - 96 * HOUR);
  const ids = Array.from({ length: NEEDS }, () => randomUUID());
  await ds.query(
    `INSERT INTO volunteering.needs (id, requester_id, idempotency_key, category, title, division_code, window_start, window_end, status, primary_id, escrow_points, hours, created_at, started_at, completed_at)
     SELECT x.id, x.requester, x.id::text, 'MUTUAL_AID', '陪同就医', $4, $5, $6, 'COMPLETED', x.volunteer, $7, 1 + (x.n % 10), $5, $5, $6
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) WITH ORDINALITY AS x(id, requester, volunteer, n)`,
    [ids, ids.map((_, i) => requesters[i % requesters.length]), ids.map((_, i) => volunteers[i % volunteers.length]), VILLAGE, new Date(completedAt.getTime() - 4 * HOUR), completedAt, ESCROW],
  );
  // each requester's points and each need's escrow, as posting the needs would have left them
  await ds.transaction(async (m) => {
    for (const r of requesters) {
      await ledger.openAccount(m, { id: `vol:POINTS:${r}`, ownerId: r, kind: 'VOLUNTEER_POINTS', policy: { expiryMonths: 36 } });
      await ledger.post(m, { idempotencyKey: `bench-fund:${r}`, kind: 'BENCH_FUND', entries: [{ accountId: 'vol:ISSUE', amount: -ESCROW * NEEDS }, { accountId: `vol:POINTS:${r}`, amount: ESCROW * NEEDS }] });
    }
  });
  for (let i = 0; i < ids.length; i += 500) {
    await ds.transaction(async (m) => {
      for (const [k, id] of ids.slice(i, i + 500).entries()) {
        const requester = requesters[(i + k) % requesters.length];
        await ledger.openAccount(m, { id: `vol:ESCROW:${id}`, ownerId: id, kind: 'NEED_ESCROW' });
        await ledger.post(m, { idempotencyKey: `need:${id}:escrow-hold`, kind: 'ESCROW_HOLD', entries: [{ accountId: `vol:POINTS:${requester}`, amount: -ESCROW }, { accountId: `vol:ESCROW:${id}`, amount: ESCROW }] });
      }
    });
  }
  return { volunteers, needs: ids.length };
}

/** The baseline: the same awards as bare ledger posts, one transaction each, into fresh accounts. */
async function bareAwards(city: TestCity, n: number): Promise<void> {
  const ds = city.instances.volunteering.dataSource;
  const ledger = new Ledger({ schema: 'volunteering' });
  const accounts = Array.from({ length: 200 }, () => `bench:POINTS:${randomUUID()}`);
  await ds.transaction(async (m) => {
    for (const a of accounts) await ledger.openAccount(m, { id: a, ownerId: a, kind: 'VOLUNTEER_POINTS', policy: { expiryMonths: 36 } });
  });
  for (let i = 0; i < n; i++) {
    await ds.transaction((m) =>
      ledger.post(m, { idempotencyKey: `bench-award:${i}`, kind: 'SERVICE_AWARD', entries: [{ accountId: accounts[i % accounts.length], amount: 50 }, { accountId: 'vol:ISSUE', amount: -50 }] }),
    );
  }
}

async function main(): Promise<void> {
  const now = new Date('2026-06-01T00:00:00Z');
  const city = await startCity({ modules: [registry, volunteering], clock: new FixedClock(now), label: 'bench_volunteering' });
  try {
    const setup = await timed(() => prepare(city, now));
    console.log(`volunteering bench (${full ? 'full' : 'reduced; --full for full'} scale): ${setup.value.needs} completed services, ${setup.value.volunteers.length} volunteers; setup ${setup.seconds.toFixed(1)} s`);

    const job = await timed(() => runVolunteeringJob(city.instances.volunteering.runtime as VolunteeringRuntime, 'auto-confirm'));
    if (job.value !== NEEDS) throw new Error(`auto-confirm settled ${job.value} of ${NEEDS}`);
    const again = await runVolunteeringJob(city.instances.volunteering.runtime as VolunteeringRuntime, 'auto-confirm');
    if (again !== 0) throw new Error(`a second auto-confirm run settled ${again}`);
    const base = await timed(() => bareAwards(city, NEEDS));
    const jobRate = NEEDS / job.seconds;
    const baseRate = NEEDS / base.seconds;
    console.log(`auto-confirm job:        ${NEEDS} services in ${job.seconds.toFixed(2)} s = ${jobRate.toFixed(0)} services/s`);
    console.log(`baseline, ledger only:   ${NEEDS} awards in ${base.seconds.toFixed(2)} s = ${baseRate.toFixed(0)} posts/s`);
    console.log(`ratio job / baseline:    ${(jobRate / baseRate).toFixed(2)}`);

    const admin = await city.token('CITY_ADMIN', { sub: 'bench-admin' });
    const profileFields = `id primary { volunteer { hours points stars } }`;
    const batched = await timed(async () => ok(await city.query(`query($f: Int!) { serviceNeeds(first: $f) { nodes { ${profileFields} } } }`, { f: PROFILES }, admin)));
    const needs = batched.value.serviceNeeds.nodes as { id: string; primary: { volunteer: { points: number } | null } }[];
    if (needs.length !== PROFILES || needs.some((n) => !n.primary.volunteer)) throw new Error('profiles missing from the batched read');
    const single = await timed(async () => {
      for (const n of needs) ok(await city.query(`query($id: ID!) { serviceNeed(id: $id) { ${profileFields} } }`, { id: n.id }, admin));
    });
    console.log(`profiles, one request:   ${PROFILES} in ${(batched.seconds * 1000).toFixed(0)} ms = ${(PROFILES / batched.seconds).toFixed(0)} profiles/s`);
    console.log(`baseline, one per call:  ${PROFILES} in ${(single.seconds * 1000).toFixed(0)} ms = ${(PROFILES / single.seconds).toFixed(0)} profiles/s`);
    console.log(`ratio batched / single:  ${(single.seconds / batched.seconds).toFixed(1)}`);

    const violations = await city.instances.volunteering.dataSource.transaction((m) => new Ledger({ schema: 'volunteering' }).checkInvariants(m));
    console.log(`ledger invariants: ${violations.length ? JSON.stringify(violations.slice(0, 5)) : 'sound'}`);
    if (violations.length) process.exitCode = 1;
  } finally {
    await city.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
