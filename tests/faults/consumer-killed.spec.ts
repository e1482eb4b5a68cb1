import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { makeIdNumber } from '@citypoints/kit';
import { eventually, startCity, type TestCity } from '@citypoints/test-city';
import { registry } from '@citypoints/registry';
import { civic } from '@citypoints/civic';
import { insertResident } from '../../subgraphs/registry/src/residents/resident.service';

const ROOT = path.resolve(__dirname, '../..');
const RESIDENTS = 60;
const LOCK_MS = 4_000;
const STALLED_INTERVAL_MS = 1_000;

/** civic's worker process, as `src/worker.ts` runs in production, on the test's database and queues. */
function startCivicWorker(city: TestCity): ChildProcess {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    DATABASE_URL: city.db.url,
    QUEUE_PREFIX: city.queuePrefix,
    QUEUE_BACKEND: city.queue.kind,
    // a killed worker's job is handed back within about lock + 2 × interval (BullMQ's 30 s each unless told)
    JOB_LOCK_MS: String(LOCK_MS),
    JOB_STALLED_INTERVAL_MS: String(STALLED_INTERVAL_MS),
  };
  if (city.queue.kind === 'redis') env.REDIS_URL = city.queue.url;
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'subgraphs/civic/src/worker.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', () => undefined);
  child.stderr?.on('data', () => undefined);
  return child;
}

/**
 * civic's event consumer killed with SIGKILL while registry's events stream in: after a restart
 * every resident is in civic's projection, and each event was applied once.
 */
describe('a consumer process killed mid-stream', () => {
  let city: TestCity;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    city = await startCity({ modules: [registry, civic], label: 'faults_consumer' });
    await city.instances.registry.startWorkers();
  });
  afterAll(async () => {
    if (child && child.exitCode == null) child.kill('SIGKILL');
    await city.close();
  });

  it('applies every event exactly once after the restart', async () => {
    const reg = city.instances.registry.dataSource;
    const cv = city.instances.civic.dataSource;
    child = startCivicWorker(city);
    const ids: string[] = [];
    const applied = async () => Number((await cv.query(`SELECT count(*) AS n FROM civic.residents WHERE id = ANY($1::uuid[])`, [ids]))[0].n);
    for (let i = 0; i < RESIDENTS; i++) {
      const row = await reg.transaction((m) =>
        insertResident(m, { idNumber: makeIdNumber('441900', '1985-07-07', i + 1), name: `宕机${i}`, birthDate: '1985-07-07', hukou: 'LOCAL', divisionCode: '441900003001', householdId: null }),
      );
      ids.push(row.id);
      if (i === RESIDENTS / 3) {
        // killed once it has applied some of them, with more coming
        await eventually(async () => (await applied()) > 0, 60_000);
        const exited = new Promise((resolve) => child!.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
    }
    expect(await applied()).toBeLessThan(RESIDENTS);
    child = startCivicWorker(city);
    // the job the killed process held comes back only when its lock has lapsed and a stalled-job
    // check of the new worker finds it: JOB_LOCK_MS + 2 × JOB_STALLED_INTERVAL_MS, about 6 s here
    await eventually(async () => (await applied()) === RESIDENTS, 60_000);
    const [{ events, inbox }] = await cv.query(
      `SELECT count(DISTINCT o.id)::int AS events, count(i.event_id)::int AS inbox
       FROM registry.outbox o LEFT JOIN civic.inbox i ON i.event_id = o.id AND i.consumer = 'civic'
       WHERE o.topic = 'registry.resident.registered' AND o.aggregate_id = ANY($1)`,
      [ids],
    );
    expect({ events, inbox }).toEqual({ events: RESIDENTS, inbox: RESIDENTS });
  });
});
