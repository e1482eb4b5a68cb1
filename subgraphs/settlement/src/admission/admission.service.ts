import { createHash, randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { requireRoleIn, type Caller } from '@citypoints/auth';
import { loader, type SubgraphContext } from '@citypoints/federation';
import { JobRuns, type JobRun } from '@citypoints/jobs';
import { badInput, offsetFromCursor, offsetPage, pageSize } from '@citypoints/kit';
import { db, SCHEMA, settlementRuntime } from '../context';
import { requireTownCode } from '../schools/school.service';
import type { SchoolGrade } from '../schools/school.type';
import { ApplicationStatus, RunStatus, type AdmissionRun, type RankingConnection, type RankingEntry } from './application.type';

type Q = Pick<EntityManager, 'query'>;
export const ADMISSION_RUN_KIND = 'school-admission';
export const jobRuns = new JobRuns(SCHEMA);

interface RunRow {
  id: string;
  year: number;
  town_code: string;
  grade: SchoolGrade;
  seed: string;
  pool_size: number | null;
  totals_sum: string | null;
  inputs_digest: string | null;
  status: RunStatus;
  progress: number;
  result: { ranked?: number; placed?: number; waitlisted?: number; rejected?: number } | null;
  counters: { ranked?: number } | null;
  error: string | null;
}

const RUN_SELECT = `SELECT r.id, r.year, r.town_code, r.grade, r.seed, r.pool_size, r.totals_sum, r.inputs_digest, j.status, j.progress, j.result, j.counters, j.error
  FROM "${SCHEMA}".admission_runs r JOIN "${SCHEMA}".job_runs j ON j.id = r.id`;

const toRun = (r: RunRow): AdmissionRun => ({
  id: r.id,
  year: r.year,
  townCode: r.town_code,
  grade: r.grade,
  status: r.status,
  seed: r.seed,
  progress: Number(r.progress),
  ranked: r.result?.ranked ?? r.counters?.ranked ?? null,
  placed: r.result?.placed ?? null,
  waitlisted: r.result?.waitlisted ?? null,
  rejected: r.result?.rejected ?? null,
  error: r.error,
  poolSize: r.pool_size,
  totalsSum: r.totals_sum == null ? null : Number(r.totals_sum),
  inputsDigest: r.inputs_digest,
});

export async function admissionRun(id: string): Promise<AdmissionRun | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  const rows: RunRow[] = await db().query(`${RUN_SELECT} WHERE r.id = $1`, [id]);
  return rows.length ? toRun(rows[0]) : null;
}

const poolLock = (year: number, townCode: string, grade: string) => `admission:${year}:${townCode}:${grade}`;

/**
 * Records a run and queues it. While a run of the same pool is queued or running, asking again
 * returns that run instead of starting a second one.
 */
export async function requestAdmissionRun(caller: Caller | null, year: number, townCode: string, grade: SchoolGrade, seed?: string | null): Promise<AdmissionRun> {
  requireTownCode(townCode);
  requireRoleIn(caller, townCode, 'EDUCATION_OFFICER');
  if (!Number.isInteger(year) || year < 2000 || year > 2100) throw badInput('year must be 2000..2100', { field: 'year' });
  if (seed != null && !/^[A-Za-z0-9_-]{1,64}$/.test(seed)) throw badInput('seed must be 1–64 letters, digits, _ or -', { field: 'seed' });
  const chosenSeed = seed ?? randomBytes(8).toString('hex');
  const { run, fresh } = await db().transaction(async (m) => {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [poolLock(year, townCode, grade)]);
    const pending: RunRow[] = await m.query(`${RUN_SELECT} WHERE r.year = $1 AND r.town_code = $2 AND r.grade = $3 AND j.status IN ('QUEUED','RUNNING')`, [year, townCode, grade]);
    if (pending.length) return { run: toRun(pending[0]), fresh: false };
    const job: JobRun = await jobRuns.create(m, { kind: ADMISSION_RUN_KIND, params: { year, townCode, grade, seed: chosenSeed } });
    await m.query(`INSERT INTO "${SCHEMA}".admission_runs (id, year, town_code, grade, seed) VALUES ($1, $2, $3, $4, $5)`, [job.id, year, townCode, grade, chosenSeed]);
    const rows: RunRow[] = await m.query(`${RUN_SELECT} WHERE r.id = $1`, [job.id]);
    return { run: toRun(rows[0]), fresh: true };
  });
  if (fresh) {
    const queue = settlementRuntime.admissionQueue;
    if (!queue) throw new Error('the admission queue is not open');
    await queue.add('run', { runId: run.id }, { jobId: run.id });
  }
  return run;
}

interface RankedRow {
  application_no: string;
  total: number;
  tie1: number;
  tie2: number;
  priority: boolean;
  preferences: string[];
  rank: number;
}

export interface AdmissionOutcome {
  ranked: number;
  placed: number;
  waitlisted: number;
  rejected: number;
}

const POOL = `
  SELECT a.application_no, a.total, a.tie1, a.tie2, a.submitted_at, a.preferences,
         (a.priority_claim OR EXISTS (SELECT 1 FROM "${SCHEMA}".talent_cards t WHERE t.holder_id = a.parent_id AND t.status = 'ISSUED')) AS priority
  FROM "${SCHEMA}".school_applications a
  WHERE a.year = $1 AND a.town_code = $2 AND a.grade = $3 AND a.status IN ('SUBMITTED','VERIFIED')`;

/**
 * The ranking of DOMAIN.md §1 as one set-based statement: priority applicants first by submission
 * time, then total, the scheme's two tie-breaker lines, and the lottery SHA-256(seed ‖ applicationNo)
 * as lowercase hex, ascending. A negative total keeps an application out of the pool.
 */
const RANKING = `
  WITH pool AS (${POOL})
  SELECT application_no, total::float8 AS total, tie1::float8 AS tie1, tie2::float8 AS tie2, priority, preferences::text[] AS preferences,
         (row_number() OVER (ORDER BY priority DESC, CASE WHEN priority THEN submitted_at END, total DESC, tie1 DESC, tie2 DESC,
                             encode(sha256(convert_to($4 || application_no, 'UTF8')), 'hex') COLLATE "C", application_no COLLATE "C"))::int AS rank
  FROM pool WHERE total >= 0
  ORDER BY rank`;

/**
 * Ranks and places one pool inside the caller's transaction. Placement is serial dictatorship
 * (each applicant in rank order takes the first preferred school with a seat left), a single
 * pass over the ranked list; results replace any earlier attempt of the same run, so a retried
 * job writes the same rows.
 */
export async function rankAndPlace(m: Q, run: { id: string; year: number; townCode: string; grade: string; seed: string }, onRanked?: (n: number) => Promise<unknown>): Promise<AdmissionOutcome> {
  const params = [run.year, run.townCode, run.grade];
  const ranked: RankedRow[] = await m.query(RANKING, [...params, run.seed]);
  const negative: { application_no: string; total: number; priority: boolean }[] = await m.query(
    `WITH pool AS (${POOL}) SELECT application_no, total::float8 AS total, priority FROM pool WHERE total < 0 ORDER BY application_no`,
    params,
  );
  await onRanked?.(ranked.length);
  const seatRows: { school_id: string; seats: number }[] = await m.query(
    `SELECT ss.school_id, ss.seats FROM "${SCHEMA}".school_seats ss JOIN "${SCHEMA}".schools s ON s.id = ss.school_id
     WHERE s.town_code = $2 AND ss.year = $1 AND ss.grade = $3 ORDER BY ss.school_id`,
    params,
  );
  const left = new Map(seatRows.map((s) => [s.school_id, s.seats]));
  const cutoffs: Record<string, number> = {};
  const n = ranked.length + negative.length;
  const nos: string[] = new Array(n);
  const ranks: (number | null)[] = new Array(n);
  const schools: (string | null)[] = new Array(n);
  const outcomes: string[] = new Array(n);
  const totals: number[] = new Array(n);
  const priorities: boolean[] = new Array(n);
  const digest = createHash('sha256');
  let placed = 0;
  ranked.forEach((r, i) => {
    let school: string | null = null;
    for (const p of r.preferences) {
      const free = left.get(p) ?? 0;
      if (free > 0) {
        left.set(p, free - 1);
        school = p;
        break;
      }
    }
    if (school) {
      placed++;
      if (!r.priority && (cutoffs[school] === undefined || r.total < cutoffs[school])) cutoffs[school] = r.total;
    }
    nos[i] = r.application_no;
    ranks[i] = r.rank;
    schools[i] = school;
    outcomes[i] = school ? 'ADMITTED' : 'WAITLISTED';
    totals[i] = r.total;
    priorities[i] = r.priority;
    digest.update(`${r.application_no}|${r.total}|${r.tie1}|${r.tie2}|${r.priority ? 1 : 0}|${r.preferences.join(',')}\n`);
  });
  negative.forEach((r, k) => {
    const i = ranked.length + k;
    nos[i] = r.application_no;
    ranks[i] = null;
    schools[i] = null;
    outcomes[i] = 'REJECTED';
    totals[i] = r.total;
    priorities[i] = r.priority;
    digest.update(`${r.application_no}|${r.total}|rejected\n`);
  });
  for (const s of seatRows) digest.update(`seats|${s.school_id}|${s.seats}\n`);
  await m.query(`DELETE FROM "${SCHEMA}".admission_results WHERE run_id = $1`, [run.id]);
  await m.query(
    `INSERT INTO "${SCHEMA}".admission_results (run_id, application_no, rank, school_id, outcome, total, priority)
     SELECT $1, * FROM unnest($2::text[], $3::int[], $4::uuid[], $5::text[], $6::numeric[], $7::boolean[])`,
    [run.id, nos, ranks, schools, outcomes, totals, priorities],
  );
  const totalsSum = ranked.reduce((s, r) => s + r.total, 0);
  await m.query(
    `UPDATE "${SCHEMA}".admission_runs SET pool_size = $2, totals_sum = $3, seats_total = $4, inputs_digest = $5, cutoffs = $6::jsonb, completed_at = now() WHERE id = $1`,
    [run.id, ranked.length, Math.round(totalsSum * 100) / 100, seatRows.reduce((s, r) => s + r.seats, 0), digest.digest('hex'), JSON.stringify(cutoffs)],
  );
  // a late retry of an older run must not displace a newer run's published result
  await m.query(
    `INSERT INTO "${SCHEMA}".admission_current (year, town_code, grade, run_id) VALUES ($1, $2, $3, $4)
     ON CONFLICT (year, town_code, grade) DO UPDATE SET run_id = EXCLUDED.run_id
     WHERE (SELECT created_at FROM "${SCHEMA}".job_runs WHERE id = admission_current.run_id) <= (SELECT created_at FROM "${SCHEMA}".job_runs WHERE id = EXCLUDED.run_id)`,
    [run.year, run.townCode, run.grade, run.id],
  );
  return { ranked: ranked.length, placed, waitlisted: ranked.length - placed, rejected: negative.length };
}

/** The job's body: one transaction per attempt, serialised per pool, with the run's progress. */
export async function performAdmissionRun(ds: DataSource, runId: string, onProgress?: (p: number) => Promise<unknown>): Promise<AdmissionOutcome | null> {
  const started = await jobRuns.markRunning(ds, runId);
  if (started.status === 'COMPLETED') return null;
  try {
    const outcome = await ds.transaction(async (m) => {
      const rows: { id: string; year: number; town_code: string; grade: string; seed: string }[] = await m.query(
        `SELECT id, year, town_code, grade, seed FROM "${SCHEMA}".admission_runs WHERE id = $1`,
        [runId],
      );
      if (!rows.length) throw new Error(`admission run ${runId} is not recorded`);
      const r = rows[0];
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [poolLock(r.year, r.town_code, r.grade)]);
      return rankAndPlace(m, { id: r.id, year: r.year, townCode: r.town_code, grade: r.grade, seed: r.seed }, async (ranked) => {
        await jobRuns.reportProgress(ds, runId, 0.5, { ranked });
        await onProgress?.(50);
      });
    });
    await jobRuns.complete(ds, runId, outcome);
    await onProgress?.(100);
    return outcome;
  } catch (err) {
    await jobRuns.fail(ds, runId, err).catch(() => undefined);
    throw err;
  }
}

/** What the current run of an application's pool says about it. */
export interface ApplicationResult {
  rank: number | null;
  poolSize: number;
  schoolId: string | null;
  outcome: 'ADMITTED' | 'WAITLISTED' | 'REJECTED';
  cutoff: number | null;
  priority: boolean;
}

export function resultLoader(ctx: SubgraphContext) {
  return loader<string, ApplicationResult | null>(ctx, 'admissionResult', async (nos) => {
    const rows: { application_no: string; rank: number | null; school_id: string | null; outcome: ApplicationResult['outcome']; priority: boolean; pool_size: number; cutoffs: Record<string, number> }[] =
      await db().query(
        `SELECT res.application_no, res.rank, res.school_id, res.outcome, res.priority, ar.pool_size, ar.cutoffs
         FROM "${SCHEMA}".school_applications a
         JOIN "${SCHEMA}".admission_current c ON c.year = a.year AND c.town_code = a.town_code AND c.grade = a.grade
         JOIN "${SCHEMA}".admission_runs ar ON ar.id = c.run_id
         JOIN "${SCHEMA}".admission_results res ON res.run_id = c.run_id AND res.application_no = a.application_no
         WHERE a.application_no = ANY($1::text[])`,
        [nos],
      );
    const map = new Map(
      rows.map((r) => [
        r.application_no,
        { rank: r.rank, poolSize: r.pool_size, schoolId: r.school_id, outcome: r.outcome, priority: r.priority, cutoff: r.school_id ? (r.cutoffs?.[r.school_id] ?? null) : null },
      ]),
    );
    return nos.map((n) => map.get(n) ?? null);
  });
}

/** The public list of the current run: ranks with masked names, nothing else personal. */
export async function schoolRanking(year: number, townCode: string, grade: SchoolGrade, first?: number | null, after?: string | null): Promise<RankingConnection> {
  requireTownCode(townCode);
  const size = pageSize(first);
  const offset = offsetFromCursor(after);
  const current: { run_id: string; pool_size: number }[] = await db().query(
    `SELECT c.run_id, ar.pool_size FROM "${SCHEMA}".admission_current c JOIN "${SCHEMA}".admission_runs ar ON ar.id = c.run_id
     WHERE c.year = $1 AND c.town_code = $2 AND c.grade = $3`,
    [year, townCode, grade],
  );
  if (!current.length) return offsetPage<RankingEntry>([], offset, size, 0);
  const rows: { rank: number; application_no: string; name_masked: string | null; total: string; outcome: string; stored: string; school_id: string | null; priority: boolean }[] = await db().query(
    `SELECT res.rank, res.application_no, p.name_masked, res.total, res.outcome, a.status AS stored, res.school_id, res.priority
     FROM "${SCHEMA}".admission_results res
     JOIN "${SCHEMA}".school_applications a ON a.application_no = res.application_no
     LEFT JOIN "${SCHEMA}".residents p ON p.id = a.parent_id
     WHERE res.run_id = $1 AND res.rank IS NOT NULL
     ORDER BY res.rank LIMIT $2 OFFSET $3`,
    [current[0].run_id, size, offset],
  );
  const nodes: RankingEntry[] = rows.map((r) => ({
    rank: r.rank,
    applicationNo: r.application_no,
    parentNameMasked: r.name_masked ?? '*',
    total: Number(r.total),
    status: (r.stored === 'WITHDRAWN' || r.stored === 'DISQUALIFIED' ? r.stored : r.outcome) as ApplicationStatus,
    priority: r.priority,
    placementId: r.school_id,
  }));
  return offsetPage(nodes, offset, size, current[0].pool_size);
}
