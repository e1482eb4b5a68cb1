import { SCHEMA } from '../context';
import type { SettlementRuntime } from '../runtime';
import { ADMISSION_RUN_KIND, poolLock } from './admission.service';

export interface Pool {
  year: number;
  town_code: string;
  grade: string;
}

export type PoolOutcome = 'FINALISED' | 'HELD' | 'RERUN' | 'PENDING' | 'NOTHING';

export interface FinaliseOutcome {
  finalised: number;
  held: number;
  rerun: number;
  pending: number;
}

/**
 * One pool's way to its final list (docs/domain/01-school-admission.md), under the pool's lock. The current run must
 * have been publicised and its window closed. A run of the pool still queued or running decides
 * nothing yet; an unanswered re-check holds the pool; a line change the run has not seen (an
 * answer that changed a line, a verification, a withdrawal) re-runs the pool with the same seed,
 * the new run keeping the publicity it corrects; otherwise the run becomes final.
 */
export async function finalisePool(rt: SettlementRuntime, pool: Pool, today: string): Promise<PoolOutcome> {
  const { outcome, queue } = await rt.ds.transaction(async (m): Promise<{ outcome: PoolOutcome; queue?: string }> => {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [poolLock(pool.year, pool.town_code, pool.grade)]);
    const cur: { id: string; seed: string; publicised_on: string | null; publicity_until: string | null; finalised_at: Date | null; seen: string | null; changes: string }[] = await m.query(
      `SELECT r.id, r.seed, to_char(r.publicised_on, 'YYYY-MM-DD') AS publicised_on, to_char(r.publicity_until, 'YYYY-MM-DD') AS publicity_until, r.finalised_at,
              r.line_changes_seen AS seen, c.line_changes AS changes
       FROM "${SCHEMA}".admission_current c JOIN "${SCHEMA}".admission_runs r ON r.id = c.run_id
       WHERE c.year = $1 AND c.town_code = $2 AND c.grade = $3`,
      [pool.year, pool.town_code, pool.grade],
    );
    const run = cur[0];
    if (!run || run.finalised_at || !run.publicity_until || run.publicity_until >= today) return { outcome: 'NOTHING' };
    const pending: { id: string; status: string }[] = await m.query(
      `SELECT r.id, j.status FROM "${SCHEMA}".admission_runs r JOIN "${SCHEMA}".job_runs j ON j.id = r.id
       WHERE r.year = $1 AND r.town_code = $2 AND r.grade = $3 AND j.status IN ('QUEUED','RUNNING') ORDER BY j.created_at LIMIT 1`,
      [pool.year, pool.town_code, pool.grade],
    );
    // a queued run is added to the queue again: harmless (the job id is the run id), and it heals a lost add
    if (pending.length) return { outcome: 'PENDING', queue: pending[0].status === 'QUEUED' ? pending[0].id : undefined };
    const open: { n: number }[] = await m.query(
      `SELECT count(*)::int AS n FROM "${SCHEMA}".rechecks k JOIN "${SCHEMA}".school_applications a ON a.application_no = k.application_no
       WHERE a.year = $1 AND a.town_code = $2 AND a.grade = $3 AND k.answered_at IS NULL AND a.status NOT IN ('WITHDRAWN','DISQUALIFIED')`,
      [pool.year, pool.town_code, pool.grade],
    );
    if (open[0].n > 0) return { outcome: 'HELD' };
    if (run.seen === null || Number(run.changes) > Number(run.seen)) {
      const job = await rt.runs.create(m, { kind: ADMISSION_RUN_KIND, params: { year: pool.year, townCode: pool.town_code, grade: pool.grade, seed: run.seed, correcting: run.id } });
      await m.query(
        `INSERT INTO "${SCHEMA}".admission_runs (id, year, town_code, grade, seed, publicised_on, publicity_until) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [job.id, pool.year, pool.town_code, pool.grade, run.seed, run.publicised_on, run.publicity_until],
      );
      return { outcome: 'RERUN', queue: job.id };
    }
    await m.query(`UPDATE "${SCHEMA}".admission_runs SET finalised_at = $2 WHERE id = $1`, [run.id, rt.clock.now()]);
    return { outcome: 'FINALISED' };
  });
  if (queue) await rt.queues.admission.add('run', { runId: queue }, { jobId: queue });
  return outcome;
}

/**
 * The finalising job: every pool whose current run's publicity has closed and is not final yet.
 * Running it again, or after a crash, finalises nothing twice and queues no second re-run.
 */
export async function finalisePools(rt: SettlementRuntime, today: string): Promise<FinaliseOutcome> {
  const pools: Pool[] = await rt.ds.query(
    `SELECT c.year, c.town_code, c.grade FROM "${SCHEMA}".admission_current c JOIN "${SCHEMA}".admission_runs r ON r.id = c.run_id
     WHERE r.publicity_until < $1::date AND r.finalised_at IS NULL ORDER BY c.year, c.town_code, c.grade`,
    [today],
  );
  const out: FinaliseOutcome = { finalised: 0, held: 0, rerun: 0, pending: 0 };
  for (const p of pools) {
    const o = await finalisePool(rt, p, today);
    if (o === 'FINALISED') out.finalised++;
    else if (o === 'HELD') out.held++;
    else if (o === 'RERUN') out.rerun++;
    else if (o === 'PENDING') out.pending++;
  }
  return out;
}
