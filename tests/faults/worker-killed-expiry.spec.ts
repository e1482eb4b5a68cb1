import { eventually, FixedClock, startCity, type TestCity } from '@citypoints/test-city';
import { createQueue, type JobQueue } from '@citypoints/jobs';
import { Ledger } from '@citypoints/ledger';
import { volunteering, type VolunteeringRuntime } from '@citypoints/volunteering';
import { EXPIRED_ACCOUNT, ISSUE_ACCOUNT } from '../../subgraphs/volunteering/src/points/points.service';
import { startWorkerProcess, type WorkerProcess } from './worker-process';

const ACCOUNTS = 300;
const LOTS_EACH = 4;
const LOTS = ACCOUNTS * LOTS_EACH;

/**
 * volunteering's worker process killed with SIGKILL while the nightly points expiry moves expired
 * lots batch by batch: after a restart the stalled job runs again, and every lot is expired once,
 * its points moved to the expiry account once.
 */
describe('volunteering worker killed during the points expiry', () => {
  let city: TestCity;
  let worker: WorkerProcess | undefined;
  let queue: JobQueue;
  const vol = () => city.instances.volunteering.dataSource;
  const expiries = async () => Number((await vol().query(`SELECT count(*)::int AS n FROM volunteering.ledger_transactions WHERE kind = 'EXPIRY'`))[0].n);

  beforeAll(async () => {
    city = await startCity({ modules: [volunteering], label: 'faults_expiry' });
    queue = createQueue('volunteering.jobs', city.queue, { prefix: city.queuePrefix });
    // points earned three years ago on accounts whose points are valid for a year: every lot has expired
    const past = new Ledger({ schema: 'volunteering', clock: new FixedClock(new Date('2023-06-01T02:00:00Z')) });
    const ids = Array.from({ length: ACCOUNTS }, (_, i) => `vol:POINTS:fault-${String(i).padStart(5, '0')}`);
    await vol().transaction(async (m) => {
      for (const id of ids) await past.openAccount(m, { id, ownerId: id.slice(11), kind: 'VOLUNTEER_POINTS', policy: { expiryMonths: 12 } });
      for (let round = 0; round < LOTS_EACH; round++) {
        const amounts = ids.map((_, i) => 1 + ((i + round) % 9));
        await past.post(m, {
          idempotencyKey: `fault-earn-${round}`,
          kind: 'SERVICE_AWARD',
          entries: [{ accountId: ISSUE_ACCOUNT, amount: -amounts.reduce((a, b) => a + b, 0) }, ...ids.map((accountId, i) => ({ accountId, amount: amounts[i] }))],
        });
      }
    });
  });
  afterAll(async () => {
    await worker?.kill();
    await queue?.close();
    await city?.close();
  });

  it('expires every lot exactly once after the worker is killed mid-run', async () => {
    const [{ lots, points }] = await vol().query(`SELECT count(*)::int AS lots, sum(remaining)::int AS points FROM volunteering.ledger_lots WHERE remaining > 0`);
    expect(lots).toBe(LOTS);
    worker = startWorkerProcess('volunteering', city);
    const job = await queue.add('expire-points', {}, { attempts: 3 });

    // killed once some batches have committed, with more to go
    await eventually(async () => (await expiries()) > 0 || worker!.child.exitCode != null, 90_000, 5);
    await worker.kill();
    const atKill = await expiries();
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(LOTS);

    worker = startWorkerProcess('volunteering', city);
    const finished = await eventually(async () => {
      const j = await queue.getJob(job.id!);
      return j?.finishedOn ? j : null;
    }, 90_000, 200).catch((e) => {
      throw new Error(`${String(e)}\n${worker!.output()}`);
    });
    expect(finished.failedReason ?? null).toBeNull();
    // the second attempt expired exactly what the first had left
    expect(finished.returnvalue).toBe(LOTS - atKill);

    const [left] = await vol().query(`SELECT count(*)::int AS lots FROM volunteering.ledger_lots WHERE remaining > 0`);
    expect(left).toEqual({ lots: 0 });
    // one EXPIRY transaction per lot, each lot's points moved once
    const [per] = await vol().query(
      `SELECT count(*)::int AS n, count(DISTINCT metadata->>'lotId')::int AS d FROM volunteering.ledger_transactions WHERE kind = 'EXPIRY'`,
    );
    expect(per).toEqual({ n: LOTS, d: LOTS });
    const [{ balance }] = await vol().query(`SELECT balance::int FROM volunteering.ledger_accounts WHERE id = $1`, [EXPIRED_ACCOUNT]);
    expect(balance).toBe(points);
    const rt = city.instances.volunteering.runtime as VolunteeringRuntime;
    expect(await vol().transaction((m) => rt.ledger.checkInvariants(m))).toEqual([]);
  });
});
