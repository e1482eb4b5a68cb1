import { spawn, type ChildProcess } from 'node:child_process';
import { createTestDatabase, type TestDatabase } from '@citypoints/db';
import type { SubgraphInstance } from '@citypoints/federation';
import { pingRedis, type QueueConnection } from '@citypoints/jobs';
import { makeIdNumber, systemClock } from '@citypoints/kit';
import { eventually } from '@citypoints/testing';
import { registry } from '@citypoints/registry';
import { civic } from '@citypoints/civic';
import { insertResident } from '../../subgraphs/registry/src/residents/resident.service';
import { freePort } from './dedicated-postgres';

/**
 * Redis stops answering for a while under writes (its process frozen, as a network partition or
 * a stalled host looks to clients): registry's writes go on committing, their events wait in the
 * outbox, and once Redis answers again every one reaches civic exactly once.
 */
describe('Redis unavailable under writes', () => {
  let redis: ChildProcess;
  let db: TestDatabase;
  let url: string;
  const instances: SubgraphInstance[] = [];
  let sequence = 0;

  beforeAll(async () => {
    const port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await eventually(() => pingRedis(url, 500), 20_000);
    db = await createTestDatabase('faults_redis');
    const queue: QueueConnection = { kind: 'redis', url };
    for (const m of [registry, civic]) instances.push(await m.create({ databaseUrl: db.url, queue, queuePrefix: 'faults', clock: systemClock }));
    for (const i of instances) await i.startWorkers();
  });
  afterAll(async () => {
    if (redis.exitCode == null) redis.kill('SIGCONT');
    for (const i of instances.reverse()) await i.close().catch(() => undefined);
    redis.kill('SIGTERM');
    await db?.drop();
  });

  const register = () =>
    instances[0].dataSource.transaction((m) =>
      insertResident(m, { idNumber: makeIdNumber('441900', '1991-05-05', ++sequence), name: `停机${sequence}`, birthDate: '1991-05-05', hukou: 'MIGRANT', divisionCode: '441900003001', householdId: null }),
    );
  const known = async (ids: string[]) => Number((await instances[1].dataSource.query(`SELECT count(*) AS n FROM civic.residents WHERE id = ANY($1::uuid[])`, [ids]))[0].n);

  it('keeps taking writes, holds their events in the outbox, and delivers each once when Redis is back', async () => {
    const before = [(await register()).id, (await register()).id];
    await eventually(async () => (await known(before)) === 2, 30_000);

    redis.kill('SIGSTOP');
    const during: string[] = [];
    for (let i = 0; i < 10; i++) during.push((await register()).id);
    const [{ n: waiting }] = await instances[0].dataSource.query(`SELECT count(*)::int AS n FROM registry.outbox WHERE aggregate_id = ANY($1) AND relayed_at IS NULL`, [during]);
    expect(waiting).toBe(10);
    expect(await known(during)).toBe(0);

    redis.kill('SIGCONT');
    await eventually(async () => (await known(during)) === 10, 60_000);
    const [{ relayed }] = await instances[0].dataSource.query(`SELECT count(*)::int AS relayed FROM registry.outbox WHERE aggregate_id = ANY($1) AND relayed_at IS NOT NULL`, [during]);
    expect(relayed).toBe(10);
    // once: one inbox row per event, one projection row per resident, each at registry's version 1
    const rows: { n: number; versions: Record<string, number> }[] = await instances[1].dataSource.query(
      `SELECT (SELECT count(*)::int FROM civic.inbox i JOIN registry.outbox o ON o.id = i.event_id WHERE o.aggregate_id = r.id::text) AS n, r.versions
       FROM civic.residents r WHERE r.id = ANY($1::uuid[])`,
      [during],
    );
    expect(rows).toHaveLength(10);
    for (const r of rows) expect(r).toEqual({ n: 1, versions: { place: 1, household: 1, identity: 1 } });
  });
});
