import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { EntityManager } from 'typeorm';
import { requireRoleIn, type Caller } from '@citypoints/auth';
import { loader } from '@citypoints/federation';
import type { JobRun } from '@citypoints/jobs';
import { badInput, isUuid, offsetFromCursor, offsetPage, pageSize } from '@citypoints/kit';
import { SCHEMA } from '../context';
import { requireTownCode } from '../schools/school.service';
import type { SchoolGrade } from '../schools/school.type';
import { inputDocument, outputDocument, sha256, type CanonicalApplication, type CanonicalResult } from './canonical';
import { ApplicationStatus, RunStatus, type AdmissionRun, type RankingConnection, type RankingEntry } from './application.type';
import type { Ctx, SettlementRuntime } from '../runtime';

export const ADMISSION_RUN_KIND = 'school-admission';

interface RunRow {
  id: string;
  year: number;
  town_code: string;
  grade: SchoolGrade;
  seed: string;
  pool_size: number | null;
  totals_sum: string | null;
  inputs_digest: string | null;
  cutoffs: Record<string, number> | null;
  publicised_on: string | null;
  publicity_until: string | null;
  finalised_at: Date | null;
  input_digest: string | null;
  output_digest: string | null;
  status: RunStatus;
  progress: number;
  result: { ranked?: number; placed?: number; waitlisted?: number; rejected?: number; ineligible?: number } | null;
  counters: { ranked?: number } | null;
  error: string | null;
}

const RUN_SELECT = `SELECT r.id, r.year, r.town_code, r.grade, r.seed, r.pool_size, r.totals_sum, r.inputs_digest, r.cutoffs,
  to_char(r.publicised_on, 'YYYY-MM-DD') AS publicised_on, to_char(r.publicity_until, 'YYYY-MM-DD') AS publicity_until, r.finalised_at, r.input_digest, r.output_digest, j.status, j.progress, j.result, j.counters, j.error
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
  ineligible: r.result?.ineligible ?? null,
  error: r.error,
  poolSize: r.pool_size,
  totalsSum: r.totals_sum == null ? null : Number(r.totals_sum),
  inputsDigest: r.inputs_digest,
  publicisedOn: r.publicised_on,
  publicityUntil: r.publicity_until,
  finalisedAt: r.finalised_at,
  inputDigest: r.input_digest,
  outputDigest: r.output_digest,
  cutoffs: Object.entries(r.cutoffs ?? {})
    .map(([schoolId, cutoff]) => ({ schoolId, cutoff }))
    .sort((a, b) => a.schoolId.localeCompare(b.schoolId)),
});

export async function admissionRun(rt: SettlementRuntime, id: string): Promise<AdmissionRun | null> {
  if (!isUuid(id)) return null;
  const rows: RunRow[] = await rt.ds.query(`${RUN_SELECT} WHERE r.id = $1`, [id]);
  return rows.length ? toRun(rows[0]) : null;
}

/** The advisory lock of a pool; lockRun builds the same key in SQL. */
export const poolLock = (year: number, townCode: string, grade: string) => `admission:${year}:${townCode}:${grade}`;

/**
 * Records a run and queues it. While a run of the same pool is queued or running, asking again
 * returns that run instead of starting a second one.
 */
export async function requestAdmissionRun(rt: SettlementRuntime, caller: Caller | null, year: number, townCode: string, grade: SchoolGrade, seed?: string | null): Promise<AdmissionRun> {
  requireTownCode(townCode);
  requireRoleIn(caller, townCode, 'EDUCATION_OFFICER');
  if (!Number.isInteger(year) || year < 2000 || year > 2100) throw badInput('year must be 2000..2100', { field: 'year' });
  if (seed != null && !/^[A-Za-z0-9_-]{1,64}$/.test(seed)) throw badInput('seed must be 1–64 letters, digits, _ or -', { field: 'seed' });
  const chosenSeed = seed ?? randomBytes(8).toString('hex');
  const { run, queued } = await rt.ds.transaction(async (m) => {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [poolLock(year, townCode, grade)]);
    const pending: RunRow[] = await m.query(`${RUN_SELECT} WHERE r.year = $1 AND r.town_code = $2 AND r.grade = $3 AND j.status IN ('QUEUED','RUNNING')`, [year, townCode, grade]);
    if (pending.length) return { run: toRun(pending[0]), queued: pending[0].status === 'QUEUED' };
    const job: JobRun = await rt.runs.create(m, { kind: ADMISSION_RUN_KIND, params: { year, townCode, grade, seed: chosenSeed } });
    await m.query(`INSERT INTO "${SCHEMA}".admission_runs (id, year, town_code, grade, seed) VALUES ($1, $2, $3, $4, $5)`, [job.id, year, townCode, grade, chosenSeed]);
    const rows: RunRow[] = await m.query(`${RUN_SELECT} WHERE r.id = $1`, [job.id]);
    return { run: toRun(rows[0]), queued: true };
  });
  // adding again a run still queued is harmless (the job id is the run id) and heals a run whose
  // first add was lost between the commit and the queue
  if (queued) {
    await rt.queues.admission.add('run', { runId: run.id }, { jobId: run.id });
  }
  return run;
}

/**
 * The ranking of docs/domain/01-school-admission.md as one set-based statement over the pool (every application not
 * withdrawn or disqualified): priority applicants first by submission time, then total, the
 * scheme's two tie-breaker lines, and the lottery SHA-256(seed ‖ applicationNo) as lowercase hex,
 * ascending. A negative total keeps an application out of the ranks (rank NULL, REJECTED).
 */
const RANKING = `
  WITH pool AS (
    SELECT a.application_no, a.total, a.tie1, a.tie2, a.submitted_at, a.preferences, (a.total >= 0 AND cardinality(a.unmet_conditions) = 0) AS ranked,
           array_to_string(a.unmet_conditions, ',') AS unmet,
           (a.priority_claim OR EXISTS (SELECT 1 FROM "${SCHEMA}".talent_cards t WHERE t.holder_id = a.parent_id AND t.status = 'ISSUED')) AS priority,
           s.code || '/' || s.version AS scheme,
           to_char(a.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS submitted,
           encode(sha256(convert_to(a.application_no || '|' || COALESCE((
             SELECT string_agg((l->>'code') || '=' || (l->>'verified') || '=' || (l->>'points'), ';' ORDER BY o)
             FROM jsonb_array_elements(a.breakdown->'lines') WITH ORDINALITY AS x(l, o) WHERE l->>'status' = 'VERIFIED'), ''), 'UTF8')), 'hex') AS lines
    FROM "${SCHEMA}".school_applications a JOIN "${SCHEMA}".schemes s ON s.id = a.scheme_id
    WHERE a.year = $1 AND a.town_code = $2 AND a.grade = $3 AND a.status IN ('SUBMITTED','VERIFIED'))
  SELECT application_no, total::float8, tie1::float8, tie2::float8, priority, array_to_string(preferences, ','), ranked, unmet,
         (row_number() OVER (PARTITION BY ranked ORDER BY priority DESC, CASE WHEN priority THEN submitted_at END, total DESC, tie1 DESC, tie2 DESC,
                             encode(sha256(convert_to($4 || application_no, 'UTF8')), 'hex') COLLATE "C", application_no COLLATE "C"))::int,
         scheme, submitted, lines
  FROM pool`;

/**
 * A ranked row as RANKING returns it: applicationNo, total, tie1, tie2, priority, preferences
 * (comma-joined), ranked, unmet conditions (comma-joined), rank, then for the canonical inputs the
 * scheme (code/version), the submission time (UTC, microseconds) and the commitment to the verified lines.
 */
type RankedRow = [string, number, number, number, boolean, string, boolean, string, number, string, string, string];

/**
 * Rows come back as arrays on the transaction's own connection: a pool has thousands of them,
 * and per-row objects cost the worker more than the database spends ranking them.
 */
async function fetchRanked(m: EntityManager, run: PoolRun): Promise<RankedRow[]> {
  const client = (await m.queryRunner!.connect()) as PoolClient;
  const res = await client.query<RankedRow>({ text: RANKING, values: [run.year, run.townCode, run.grade, run.seed], rowMode: 'array' });
  return res.rows;
}

export interface PoolRun {
  id: string;
  runNo: string;
  year: number;
  townCode: string;
  grade: string;
  seed: string;
  /** [school id, seats] of the pool's schools */
  seats: [string, number][];
}

export interface AdmissionOutcome {
  ranked: number;
  placed: number;
  waitlisted: number;
  rejected: number;
  ineligible: number;
}

/** Results go in with COPY: a pool's thousands of rows cost one round trip and no per-row parsing. */
async function copyResults(m: EntityManager, lines: string[]): Promise<void> {
  const client = (await m.queryRunner!.connect()) as PoolClient;
  const stream = client.query(copyFrom(`COPY "${SCHEMA}".admission_results (run_no, application_no, rank, school_id, outcome, total, priority, reason) FROM STDIN`));
  await pipeline(Readable.from([lines.join('')]), stream);
}

/**
 * Ranks and places one pool inside the caller's transaction. Placement is serial dictatorship
 * (each applicant in rank order takes the first preferred school with a seat left), a single
 * pass over the ranked list; results replace any earlier attempt of the same run, so a retried
 * job writes the same rows.
 */
export async function rankAndPlace(m: EntityManager, run: PoolRun, opts: { replace: boolean; onRanked?: (n: number) => Promise<unknown> }): Promise<AdmissionOutcome> {
  // the pool's count of line changes, read before the applications: a change committed in between
  // makes the run look older than it is (one re-run too many), never newer
  const seen: { n: string }[] = await m.query(`SELECT line_changes AS n FROM "${SCHEMA}".admission_current WHERE year = $1 AND town_code = $2 AND grade = $3`, [run.year, run.townCode, run.grade]);
  const rows = await fetchRanked(m, run);
  rows.sort((a, b) => (a[6] === b[6] ? a[8] - b[8] : a[6] ? -1 : 1));
  const ranked = rows.filter((r) => r[6]).length;
  await opts.onRanked?.(ranked);
  const left = new Map(run.seats);
  const cutoffs: Record<string, number> = {};
  const placements: (string | null)[] = new Array(rows.length);
  const inputs: string[] = new Array(rows.length);
  let placed = 0;
  let totalsSum = 0;
  rows.forEach(([no, total, tie1, tie2, priority, preferences, inPool, unmet], i) => {
    let school: string | null = null;
    if (inPool) {
      for (const p of preferences.split(',')) {
        const free = left.get(p) ?? 0;
        if (free > 0) {
          left.set(p, free - 1);
          school = p;
          break;
        }
      }
      totalsSum += total;
    }
    if (school) {
      placed++;
      if (!priority && (cutoffs[school] === undefined || total < cutoffs[school])) cutoffs[school] = total;
    }
    placements[i] = school;
    inputs[i] = `${no}|${total}|${tie1}|${tie2}|${priority ? 1 : 0}|${preferences}|${inPool ? 'pool' : unmet ? `ineligible:${unmet}` : 'rejected'}\n`;
  });
  const digest = createHash('sha256').update(inputs.join('') + run.seats.map(([school, seats]) => `seats|${school}|${seats}\n`).join(''));
  const canonicalApps: CanonicalApplication[] = rows.map((r) => ({
    app: r[0],
    scheme: r[9],
    total: r[1],
    tie: [r[2], r[3]],
    priority: r[4],
    submittedAt: r[10],
    preferences: r[5] ? r[5].split(',') : [],
    eligible: !r[7],
    lines: r[11],
  }));
  const canonicalResults: CanonicalResult[] = rows.map((r, i) => ({
    rank: r[6] ? r[8] : null,
    app: r[0],
    school: placements[i],
    outcome: r[6] ? (placements[i] ? 'ADMITTED' : 'WAITLISTED') : r[7] ? 'INELIGIBLE' : 'REJECTED',
  }));
  const inputDoc = inputDocument(
    { year: run.year, town: run.townCode, grade: run.grade, seed: run.seed },
    run.seats.map(([school, seats]) => ({ school, seats })),
    canonicalApps,
  );
  const outputDigest = sha256(outputDocument(canonicalResults));
  // in key order the primary-key index grows at its right edge instead of splitting pages all over
  const byKey = rows.map((_, i) => i).sort((a, b) => (rows[a][0] < rows[b][0] ? -1 : rows[a][0] > rows[b][0] ? 1 : 0));
  const copy = byKey.map((i) => {
    const [no, total, , , priority, , inPool, unmet, rank] = rows[i];
    const school = placements[i];
    const outcome = inPool ? (school ? 'ADMITTED' : 'WAITLISTED') : unmet ? 'INELIGIBLE' : 'REJECTED';
    const reason = inPool ? '\\N' : unmet ? `${unmet.split(',').join(', ')} not verified` : 'NEGATIVE_POINTS';
    return `${run.runNo}\t${no}\t${inPool ? rank : '\\N'}\t${school ?? '\\N'}\t${outcome}\t${total}\t${priority ? 't' : 'f'}\t${reason}\n`;
  });
  if (opts.replace) await m.query(`DELETE FROM "${SCHEMA}".admission_results WHERE run_no = $1`, [run.runNo]);
  await copyResults(m, copy);
  // a late retry of an older run must not displace a newer run's published result
  await m.query(
    `WITH run AS (
       UPDATE "${SCHEMA}".admission_runs SET pool_size = $2, totals_sum = $3, seats_total = $4, inputs_digest = $5, cutoffs = $6::jsonb, completed_at = now(), line_changes_seen = $7,
         input_document = $8, input_digest = $9, output_digest = $10
       WHERE id = $1 RETURNING id, year, town_code, grade)
     INSERT INTO "${SCHEMA}".admission_current (year, town_code, grade, run_id) SELECT year, town_code, grade, id FROM run
     ON CONFLICT (year, town_code, grade) DO UPDATE SET run_id = EXCLUDED.run_id
     WHERE (SELECT created_at FROM "${SCHEMA}".job_runs WHERE id = admission_current.run_id) <= (SELECT created_at FROM "${SCHEMA}".job_runs WHERE id = EXCLUDED.run_id)`,
    [run.id, ranked, Math.round(totalsSum * 100) / 100, run.seats.reduce((sum, [, n]) => sum + n, 0), digest.digest('hex'), JSON.stringify(cutoffs), seen[0]?.n ?? 0, inputDoc, sha256(inputDoc), outputDigest],
  );
  const ineligible = rows.filter((r) => !r[6] && r[7]).length;
  return { ranked, placed, waitlisted: ranked - placed, rejected: rows.length - ranked - ineligible, ineligible };
}

/** A run with its pool locked against other runs of the same pool, and the pool's seats, in one statement. */
async function lockRun(m: EntityManager, runId: string): Promise<PoolRun> {
  const rows: { id: string; run_no: string; year: number; town_code: string; grade: string; seed: string; seats: [string, number][] }[] = await m.query(
    `SELECT r.id, r.run_no, r.year, r.town_code, r.grade, r.seed,
            pg_advisory_xact_lock(hashtext('admission:' || r.year || ':' || r.town_code || ':' || r.grade)) AS locked,
            (SELECT COALESCE(json_agg(json_build_array(ss.school_id, ss.seats) ORDER BY ss.school_id), '[]'::json)
               FROM "${SCHEMA}".school_seats ss JOIN "${SCHEMA}".schools s ON s.id = ss.school_id
              WHERE s.town_code = r.town_code AND ss.year = r.year AND ss.grade = r.grade) AS seats
     FROM "${SCHEMA}".admission_runs r WHERE r.id = $1`,
    [runId],
  );
  if (!rows.length) throw new Error(`admission run ${runId} is not recorded`);
  const r = rows[0];
  return { id: r.id, runNo: r.run_no, year: r.year, townCode: r.town_code, grade: r.grade, seed: r.seed, seats: r.seats };
}

/**
 * The job's body: one transaction per attempt, serialised per pool; the results and the run's
 * completion commit together, so an attempt either leaves both or neither.
 */
export async function performAdmissionRun(rt: SettlementRuntime, runId: string, onProgress?: (p: number) => Promise<unknown>): Promise<AdmissionOutcome | null> {
  const { ds, runs } = rt;
  const started = await runs.markRunning(ds, runId);
  if (started.status === 'COMPLETED') return null;
  try {
    return await ds.transaction(async (m) => {
      const run = await lockRun(m, runId);
      const outcome = await rankAndPlace(m, run, {
        replace: started.attempts > 1,
        onRanked: async (ranked) => {
          await runs.reportProgress(ds, runId, 0.5, { ranked });
          await onProgress?.(50);
        },
      });
      await runs.complete(m, runId, outcome);
      return outcome;
    });
  } catch (err) {
    await runs.fail(ds, runId, err).catch(() => undefined);
    throw err;
  }
}

/** Where a pool's current run stands on the way to the final list (docs/domain/01-school-admission.md). */
export type ListPhase = 'RANKED' | 'PUBLICISED' | 'FINAL';

export const listPhase = (publicised: boolean, finalised: boolean): ListPhase => (finalised ? 'FINAL' : publicised ? 'PUBLICISED' : 'RANKED');

export type RunOutcome = 'ADMITTED' | 'WAITLISTED' | 'REJECTED' | 'INELIGIBLE';

/**
 * The status an application in a run shows: out of the pool (REJECTED, INELIGIBLE) as soon as the
 * run computes it; in the pool RANKED, then PUBLICISED from the day its publicity opens until the
 * finalising job closes the pool, and only then ADMITTED or WAITLISTED.
 */
export function listedStatus(outcome: RunOutcome, phase: ListPhase): ApplicationStatus {
  if (outcome === 'REJECTED' || outcome === 'INELIGIBLE' || phase === 'FINAL') return ApplicationStatus[outcome];
  return phase === 'PUBLICISED' ? ApplicationStatus.PUBLICISED : ApplicationStatus.RANKED;
}

/** What the current run of an application's pool says about it. */
export interface ApplicationResult {
  rank: number | null;
  poolSize: number;
  schoolId: string | null;
  outcome: RunOutcome;
  phase: ListPhase;
  /** NEGATIVE_POINTS, or the eligibility conditions not verified */
  reason: string | null;
  cutoff: number | null;
  priority: boolean;
}

export function resultLoader(ctx: Ctx) {
  const rt = ctx.rt;
  return loader<string, ApplicationResult | null>(ctx, 'admissionResult', async (nos) => {
    const rows: {
      application_no: string; rank: number | null; school_id: string | null; outcome: RunOutcome; priority: boolean; pool_size: number; cutoffs: Record<string, number>;
      reason: string | null; publicised: boolean; finalised: boolean;
    }[] =
      await rt.ds.query(
        `SELECT res.application_no, res.rank, res.school_id, res.outcome, res.priority, ar.pool_size, ar.cutoffs, res.reason,
                ar.publicised_on IS NOT NULL AS publicised, ar.finalised_at IS NOT NULL AS finalised
         FROM "${SCHEMA}".school_applications a
         JOIN "${SCHEMA}".admission_current c ON c.year = a.year AND c.town_code = a.town_code AND c.grade = a.grade
         JOIN "${SCHEMA}".admission_runs ar ON ar.id = c.run_id
         JOIN "${SCHEMA}".admission_results res ON res.run_no = ar.run_no AND res.application_no = a.application_no
         WHERE a.application_no = ANY($1::text[])`,
        [nos],
      );
    const map = new Map(
      rows.map((r) => [
        r.application_no,
        {
          rank: r.rank,
          poolSize: r.pool_size,
          schoolId: r.school_id,
          outcome: r.outcome,
          phase: listPhase(r.publicised, r.finalised),
          reason: r.reason,
          priority: r.priority,
          cutoff: r.school_id ? (r.cutoffs?.[r.school_id] ?? null) : null,
        },
      ]),
    );
    return nos.map((n) => map.get(n) ?? null);
  });
}

/** The public list of the current run: ranks with masked names, nothing else personal. */
export async function schoolRanking(rt: SettlementRuntime, year: number, townCode: string, grade: SchoolGrade, first?: number | null, after?: string | null): Promise<RankingConnection> {
  requireTownCode(townCode);
  const size = pageSize(first);
  const offset = offsetFromCursor(after);
  const current: { id: string; run_no: string; pool_size: number; publicised: boolean; finalised: boolean; input_digest: string | null; output_digest: string | null }[] = await rt.ds.query(
    `SELECT ar.id, ar.run_no, ar.pool_size, ar.input_digest, ar.output_digest, ar.publicised_on IS NOT NULL AS publicised, ar.finalised_at IS NOT NULL AS finalised FROM "${SCHEMA}".admission_current c JOIN "${SCHEMA}".admission_runs ar ON ar.id = c.run_id
     WHERE c.year = $1 AND c.town_code = $2 AND c.grade = $3`,
    [year, townCode, grade],
  );
  if (!current.length) return offsetPage<RankingEntry>([], offset, size, 0);
  const phase = listPhase(current[0].publicised, current[0].finalised);
  const rows: { rank: number; application_no: string; name_masked: string | null; total: string; outcome: string; stored: string; school_id: string | null; priority: boolean }[] = await rt.ds.query(
    `SELECT res.rank, res.application_no, p.name_masked, res.total, res.outcome, a.status AS stored, res.school_id, res.priority
     FROM "${SCHEMA}".admission_results res
     JOIN "${SCHEMA}".school_applications a ON a.application_no = res.application_no
     LEFT JOIN "${SCHEMA}".residents p ON p.id = a.parent_id
     WHERE res.run_no = $1 AND res.rank IS NOT NULL
     ORDER BY res.rank LIMIT $2 OFFSET $3`,
    [current[0].run_no, size, offset],
  );
  const nodes: RankingEntry[] = rows.map((r) => ({
    rank: r.rank,
    applicationNo: r.application_no,
    parentNameMasked: r.name_masked ?? '*',
    total: Number(r.total),
    status: r.stored === 'WITHDRAWN' || r.stored === 'DISQUALIFIED' ? ApplicationStatus[r.stored] : listedStatus(r.outcome as RunOutcome, phase),
    priority: r.priority,
    placementId: r.school_id,
  }));
  return { ...offsetPage(nodes, offset, size, current[0].pool_size), runId: current[0].id, inputDigest: current[0].input_digest, outputDigest: current[0].output_digest };
}
