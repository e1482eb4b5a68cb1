import { startCity, type TestCity } from '@citypoints/test-city';
import { createQueue, type JobQueue } from '@citypoints/jobs';
import { civic, type CivicRuntime, type RhythmJobData } from '@citypoints/civic';
import { issueAccount, openPassbook, passbookAccount, RED_SETTLED_ACCOUNT } from '../../subgraphs/civic/src/cards/card.service';
import { PassbookKind } from '../../subgraphs/civic/src/cards/card.type';
import { completedRun, killWhenUnderway } from './mid-run';
import { startWorkerProcess, type WorkerProcess } from './worker-process';

const TOWNS = 1200;
const PER_TOWN = 3;
const RED_ACCOUNTS = 900;
const MONTH = '2026-10';
const YEAR = '2026';

/**
 * civic's worker process killed with SIGKILL halfway through the monthly civility stars and the
 * yearly RED settlement: after a restart BullMQ hands the stalled job to the new process, the
 * run resumes at its first uncommitted chunk, and every town is ranked once and every RED
 * passbook settled once.
 */
describe('civic worker killed during its scheduled jobs', () => {
  let city: TestCity;
  let worker: WorkerProcess | undefined;
  let queue: JobQueue<RhythmJobData>;
  const rt = () => city.instances.civic.runtime as CivicRuntime;
  const cv = () => city.instances.civic.dataSource;
  const run = async (key: string) => (await cv().query(`SELECT id, status, attempts, counters, result FROM civic.job_runs WHERE idempotency_key = $1`, [key]))[0];

  /**
   * The month's and the year's work: PER_TOWN residents in each of TOWNS towns, each with a card
   * and one approved record of the month, and RED_ACCOUNTS RED passbooks with points to settle.
   */
  async function seedTownsAndPassbooks(): Promise<void> {
    const [item] = await cv().query(`SELECT scope, code FROM civic.behaviour_items WHERE passbook = 'CIVIC' AND points > 0 ORDER BY scope, code LIMIT 1`);
    await cv().query(
      `INSERT INTO civic.residents (id, division_code, name_masked)
       SELECT gen_random_uuid(), (441900000 + t)::text || lpad(n::text, 3, '0'), '某*'
         FROM generate_series(1, $1::int) t, generate_series(1, $2::int) n`,
      [TOWNS, PER_TOWN],
    );
    await cv().query(`INSERT INTO civic.cards (card_no, resident_id, issued_at) SELECT 'F' || lpad(row_number() OVER (ORDER BY id)::text, 9, '0'), id, now() FROM civic.residents`);
    await cv().query(
      `INSERT INTO civic.records (idempotency_key, resident_id, card_no, division_code, town_code, item_scope, item_code, item_version, passbook,
                                  points_requested, points_credited, status, occurred_on, registered_by, approved_at, approved_month, created_at)
       SELECT 'fault-' || r.id, r.id, c.card_no, r.division_code, left(r.division_code, 9), $1, $2, 1, 'CIVIC',
              p, p, 'APPROVED', date '2026-10-05', 'registrar-faults', timestamptz '2026-10-06T02:00:00Z' + (row_number() OVER (ORDER BY r.id)) * interval '1 second', $3, now()
         FROM civic.residents r JOIN civic.cards c ON c.resident_id = r.id, LATERAL (SELECT 1 + (hashtext(r.id::text) & 15) AS p) pts`,
      [item.scope, item.code, MONTH],
    );
    // RED passbooks with points to close at the year's end
    const ids: string[] = (await cv().query(`SELECT id FROM civic.residents ORDER BY id LIMIT $1`, [RED_ACCOUNTS])).map((r: { id: string }) => r.id);
    for (let i = 0; i < ids.length; i += 150) {
      await cv().transaction(async (m) => {
        for (const [j, id] of ids.slice(i, i + 150).entries()) {
          await openPassbook(rt(), m, PassbookKind.RED, id);
          const amount = 1 + ((i + j) % 7);
          await rt().ledger.post(m, {
            idempotencyKey: `fault-red-${id}`,
            kind: 'RECORD',
            entries: [
              { accountId: passbookAccount(PassbookKind.RED, id), amount },
              { accountId: issueAccount(PassbookKind.RED, id), amount: -amount },
            ],
          });
        }
      });
    }
  }

  /**
   * Queues the job with a worker process running, kills the worker with SIGKILL once the run has
   * committed part of its work, and returns the run's key and what it had committed by then.
   */
  async function killedMidRun(job: RhythmJobData, total: number) {
    worker = startWorkerProcess('civic', city);
    await queue.add(job.kind, job, { attempts: 3 });
    const key = `${job.kind}:${job.period}`;
    return { key, at: await killWhenUnderway(worker, () => run(key), total) };
  }

  /** Starts a new worker process and waits until it has completed the run the killed one left. */
  async function resumedToCompletion(key: string) {
    worker = startWorkerProcess('civic', city);
    return completedRun(worker, () => run(key), 90_000);
  }

  beforeAll(async () => {
    city = await startCity({ modules: [civic], label: 'faults_civic_jobs' });
    queue = createQueue<RhythmJobData>('civic.rhythm', city.queue, { prefix: city.queuePrefix });
    await seedTownsAndPassbooks();
  });
  afterEach(async () => {
    await worker?.kill();
    worker = undefined;
  });
  afterAll(async () => {
    await queue?.close();
    await city?.close();
  });

  it('ranks every town once for the month after the worker is killed mid-run', async () => {
    const { key, at } = await killedMidRun({ kind: 'MONTHLY_STARS', period: MONTH }, TOWNS);
    expect(at.checkpoint).toBeGreaterThan(0);
    expect(at.checkpoint).toBeLessThan(TOWNS);
    const [{ towns: rankedAtKill }] = await cv().query(`SELECT count(DISTINCT town_code)::int AS towns FROM civic.civility_stars WHERE month = $1`, [MONTH]);
    expect(rankedAtKill).toBe(at.checkpoint);

    const done = await resumedToCompletion(key);
    expect(done.attempts).toBe(2);

    // every town's residents with points, at most the rules' ten, once each
    const expected: { town_code: string; n: number }[] = await cv().query(
      `SELECT town_code, least(count(DISTINCT resident_id), 10)::int AS n FROM civic.records WHERE status = 'APPROVED' AND approved_month = $1 GROUP BY town_code ORDER BY town_code`,
      [MONTH],
    );
    const ranked: { town_code: string; n: number }[] = await cv().query(`SELECT town_code, count(*)::int AS n FROM civic.civility_stars WHERE month = $1 GROUP BY town_code ORDER BY town_code`, [MONTH]);
    expect(ranked).toHaveLength(TOWNS);
    expect(ranked).toEqual(expected);
    const total = expected.reduce((s, t) => s + t.n, 0);
    expect(done.result).toMatchObject({ total: TOWNS, written: total });
  });

  it('settles every RED passbook once for the year after the worker is killed mid-run', async () => {
    const [{ before }] = await cv().query(`SELECT coalesce(sum(balance), 0)::int AS before FROM civic.ledger_accounts WHERE kind = 'RED'`);
    const { key, at } = await killedMidRun({ kind: 'RED_SETTLEMENT', period: YEAR }, RED_ACCOUNTS);
    expect(at.checkpoint).toBeGreaterThan(0);
    expect(at.checkpoint).toBeLessThan(RED_ACCOUNTS);
    const [{ settledAtKill }] = await cv().query(`SELECT count(*)::int AS "settledAtKill" FROM civic.ledger_annual_statements WHERE year = $1`, [Number(YEAR)]);
    expect(settledAtKill).toBe(at.checkpoint);

    const done = await resumedToCompletion(key);
    expect(done.attempts).toBe(2);
    expect(done.result).toMatchObject({ total: RED_ACCOUNTS, written: RED_ACCOUNTS });

    // one statement and one settlement posting per passbook, the points moved once
    const [statements] = await cv().query(`SELECT count(*)::int AS n, count(DISTINCT account_id)::int AS d FROM civic.ledger_annual_statements WHERE year = $1`, [Number(YEAR)]);
    expect(statements).toEqual({ n: RED_ACCOUNTS, d: RED_ACCOUNTS });
    const [settlements] = await cv().query(
      `SELECT count(*)::int AS n, count(DISTINCT p.account_id)::int AS d FROM civic.ledger_transactions t JOIN civic.ledger_postings p ON p.transaction_id = t.id
        WHERE t.kind = 'YEARLY_SETTLEMENT' AND p.account_id <> $1`,
      [RED_SETTLED_ACCOUNT],
    );
    expect(settlements).toEqual({ n: RED_ACCOUNTS, d: RED_ACCOUNTS });
    const [{ left, settled }] = await cv().query(
      `SELECT (SELECT coalesce(sum(balance), 0)::int FROM civic.ledger_accounts WHERE kind = 'RED') AS left,
              (SELECT balance::int FROM civic.ledger_accounts WHERE id = $1) AS settled`,
      [RED_SETTLED_ACCOUNT],
    );
    expect({ left, settled }).toEqual({ left: 0, settled: before });
    expect(await cv().transaction((m) => rt().ledger.checkInvariants(m))).toEqual([]);
  });
});
