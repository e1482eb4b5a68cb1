import type { Job } from 'bullmq';
import type { EntityManager } from 'typeorm';
import { hasRole, requireRole, type Caller } from '@citypoints/auth';
import type { JobRun } from '@citypoints/jobs';
import { badInput, cityMonth, divisionLevelOf, forbidden, isPeriod, isUuid, isWithinDivision, notFound } from '@citypoints/kit';
import { SCHEMA, type EnterpriseCreditRuntime, type ScoringJob } from '../runtime';
import { creditSchemeOn } from '../credit/credit.scheme';
import { recomputeStatuses } from '../credit/credit.status';
import { compileScoring, rankOf } from './labour.rules';
import { labourRiskScheme, labourRiskSchemeVersionFor } from './labour.scheme';
import type { ScoringRun } from './labour.type';

export const SCORING_KIND = 'labour-risk-scoring';

/**
 * SQL expressions, parameters of a chunk's statement, for what its rises are raised under: the
 * month scored, the moment of scoring and the run.
 */
export interface RisesSqlContext {
  period: string;
  at: string;
  runId: string;
}

/**
 * What scoring hands on and leaves to others. `raiseSql` returns the data-modifying CTEs that
 * turn a chunk's rises into whatever they set off (alerts, deliveries), written into the chunk's
 * own statement, and an expression counting the alerts it raised. The rises are a relation of
 * that statement, one row per enterprise whose level rose to one that raises an alert
 * (`kind` LEVEL_RISE), or whose reports stopped while it was at a watched level (REPORTS_STOPPED,
 * `reports_stopped_since` the first month without a report; docs/domain/06-labour-risk.md), with
 * the columns kind, reports_stopped_since, uscc, town (its 9-digit town code), level,
 * previous_level, score, scheme_version, band_ids and override_ids (NULL when empty).
 * `committed` runs after each chunk's commit.
 */
export interface ScoringEffects {
  raiseSql(rises: string, o: RisesSqlContext): { ctes: string; alerts: string };
  committed(): Promise<unknown>;
}

export function toScoringRun(r: JobRun): ScoringRun {
  const c = r.status === 'COMPLETED' && r.result && typeof r.result === 'object' ? (r.result as Record<string, unknown>) : r.counters;
  const n = (v: unknown) => (v == null ? null : Number(v));
  return {
    id: r.id,
    period: String(r.params.period),
    divisionCode: (r.params.division as string | null | undefined) ?? null,
    status: r.status as ScoringRun['status'],
    progress: r.progress,
    scored: n(c.scored) ?? 0,
    alertsRaised: n(c.alertsRaised) ?? 0,
    error: r.error,
  };
}

/**
 * Records a run for the month — of the whole city, or of the enterprises of one division — and
 * queues it. While a run of that month and scope is still queued or running, asking again
 * returns it rather than starting a second one next to it.
 */
export async function startScoringRun(rt: EnterpriseCreditRuntime, period: string, key: string | null = null, division: string | null = null): Promise<JobRun> {
  if (!isPeriod(period)) throw badInput('period must be YYYY-MM', { field: 'period' });
  if (period > cityMonth(rt.clock.now())) throw badInput(`period ${period} has not begun`, { field: 'period' });
  const run = await rt.ds.transaction(async (m) => {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`scoring:${period}`]);
    const active: { id: string }[] = await m.query(
      `SELECT id FROM "${SCHEMA}".job_runs WHERE kind = $1 AND params->>'period' = $2 AND params->>'division' IS NOT DISTINCT FROM $3
         AND status IN ('QUEUED', 'RUNNING') ORDER BY created_at LIMIT 1`,
      [SCORING_KIND, period, division],
    );
    if (active.length) return (await rt.runs.get(m, active[0].id))!;
    const schemeVersion = await labourRiskSchemeVersionFor(m, period);
    return rt.runs.create(m, { kind: SCORING_KIND, params: { period, schemeVersion, division }, key });
  });
  if (run.status === 'QUEUED') {
    await rt.queues.scoring.add('score', { runId: run.id }, { jobId: run.id, attempts: 5, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: { age: 7 * 24 * 3600 }, removeOnFail: false });
  }
  return run;
}

/**
 * A scoring run on demand: the city admin runs the whole city (or one division); a regulator
 * runs only their own division (a town, or a part of it) — never the city as a whole.
 */
export async function runLabourRiskScoring(rt: EnterpriseCreditRuntime, caller: Caller, period: string, divisionCode?: string | null): Promise<ScoringRun> {
  requireRole(caller, 'REGULATOR');
  if (divisionCode != null && !divisionLevelOf(divisionCode)) throw badInput('divisionCode is a 6, 9 or 12-digit division code', { field: 'divisionCode' });
  let division: string | null = divisionCode ?? null;
  if (!hasRole(caller, 'CITY_ADMIN')) {
    const own = caller.division;
    if (!own || divisionLevelOf(own) === 'CITY' || divisionLevelOf(own) == null) throw forbidden("a city-wide scoring run is the city admin's; a regulator runs their own division");
    division ??= own;
    if (!isWithinDivision(division, own)) throw forbidden(`division ${division} is outside the caller's division ${own}`);
  }
  if (division && divisionLevelOf(division) === 'CITY') division = null;
  return toScoringRun(await startScoringRun(rt, (period ?? '').trim(), null, division));
}

/** Whether the caller may see a run: the city admin every one, a regulator those of their division. */
function canSeeRun(caller: Caller, run: JobRun): boolean {
  if (hasRole(caller, 'CITY_ADMIN')) return true;
  const division = run.params.division as string | null | undefined;
  return !!division && isWithinDivision(division, caller.division);
}

export async function scoringRun(rt: EnterpriseCreditRuntime, caller: Caller, id: string): Promise<ScoringRun | null> {
  requireRole(caller, 'REGULATOR');
  if (!isUuid(id)) return null;
  const run = await rt.runs.get(rt.ds, id);
  return run && run.kind === SCORING_KIND && canSeeRun(caller, run) ? toScoringRun(run) : null;
}

/**
 * Splits the month's enterprises into chunks by USCC range, once: a retried attempt reads the
 * same boundaries, so the checkpoint (a chunk number) means the same enterprises every time.
 */
async function chunksOf(rt: EnterpriseCreditRuntime, runId: string, period: string, chunkSize: number, division: string | null): Promise<{ lo: string; hi: string | null }[]> {
  return rt.ds.transaction(async (m) => {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`scoring-chunks:${runId}`]);
    let rows: { lo_uscc: string; hi_uscc: string | null }[] = await m.query(
      `SELECT lo_uscc, hi_uscc FROM "${SCHEMA}".scoring_run_chunks WHERE run_id = $1 ORDER BY chunk_no`,
      [runId],
    );
    if (!rows.length) {
      // one walk over an index: compiling it (JIT, its cost is that of a whole table) takes longer than running it
      await m.query('SET LOCAL jit = off');
      // every enterprise reported up to the month (a stale one keeps its last level). The whole
      // city: each step walks one chunk of the (uscc, period) index from the previous start (a
      // chunk then holds at most its size of enterprises); one division: its few enterprises
      // numbered, every chunk-th one a start
      const starts = division
        ? `scope AS (SELECT DISTINCT i.uscc FROM "${SCHEMA}".labour_indicators i JOIN "${SCHEMA}".enterprises e ON e.uscc = i.uscc
                     WHERE i.period <= $2 AND e.division_code LIKE $4 || '%'),
           starts(lo) AS (SELECT uscc FROM (SELECT uscc, row_number() OVER (ORDER BY uscc) - 1 AS n FROM scope) x WHERE n % $3 = 0)`
        : `starts(lo) AS (
           SELECT min(uscc) FROM "${SCHEMA}".labour_indicators WHERE period <= $2
           UNION ALL
           SELECT (SELECT uscc FROM "${SCHEMA}".labour_indicators WHERE period <= $2 AND uscc > s.lo ORDER BY uscc OFFSET $3 - 1 LIMIT 1)
           FROM starts s WHERE s.lo IS NOT NULL)`;
      rows = await m.query(
        `WITH RECURSIVE ${starts},
         bounds AS (SELECT lo AS lo_uscc, lead(lo) OVER (ORDER BY lo) AS hi_uscc, row_number() OVER (ORDER BY lo) - 1 AS chunk_no FROM starts WHERE lo IS NOT NULL),
         ins AS (INSERT INTO "${SCHEMA}".scoring_run_chunks (run_id, chunk_no, lo_uscc, hi_uscc) SELECT $1, chunk_no, lo_uscc, hi_uscc FROM bounds RETURNING chunk_no, lo_uscc, hi_uscc)
         SELECT lo_uscc, hi_uscc FROM ins ORDER BY chunk_no`,
        division ? [runId, period, chunkSize, division] : [runId, period, chunkSize],
      );
    }
    return rows.map((r) => ({ lo: r.lo_uscc, hi: r.hi_uscc }));
  });
}

interface ChunkOutcome {
  scored: number;
  alerts: number;
  statusTargets: string[] | null;
}

/**
 * Scores one chunk in one statement: the scheme compiled to SQL, the previous level read in the
 * same snapshot, scores written, and the alerts of the levels that rose written with them by the
 * effects' CTEs; returns how many were scored and raised, and the enterprises whose credit status
 * may have moved.
 */
export async function scoreChunk(
  rt: EnterpriseCreditRuntime,
  m: Pick<EntityManager, 'query'>,
  effects: Pick<ScoringEffects, 'raiseSql'>,
  o: { runId: string | null; period: string; schemeVersion: number; lo: string; hi: string | null; at: Date; watchLevels: string[]; redLevels: string[]; division: string | null },
): Promise<ChunkOutcome> {
  const scheme = await labourRiskScheme(rt.ds, o.schemeVersion, rt.labourSchemes);
  const c = compileScoring(scheme, 'i');
  const alertRanks = scheme.levels.filter((l) => l.raisesAlert).map((l) => l.rank);
  const stoppedRank = rankOf(scheme, scheme.reportsStopped.minLevel);
  const raise = effects.raiseSql('rises', { period: '$1', at: '$5', runId: '$6' });
  // the chunk's USCC range on every table lets each be read by its index, never whole
  const range = (col: string) => `${col} >= $2` + (o.hi == null ? '' : ` AND ${col} < $3`);
  const monthNo = (p: string) => `(substr(${p}, 1, 4)::int * 12 + substr(${p}, 6, 2)::int)`;
  // Every enterprise ever reported up to the month is scored: from its report of the month, or —
  // stale — keeping the score of its last report (computed from that report's indicators if it
  // was never scored). Its latest report is one probe of the (uscc, period) index, so months of
  // history cost nothing (read as the latest row per USCC of the range, every month's row was
  // fetched: with 7 months of history, 2.4 times the statement's CPU). The score is one sum
  // over the report's columns; the level and the breakdown are read off it a level up (OFFSET 0
  // keeps the sum a column there, not repeated in every expression that uses it). `scored` is read by the writes, the rises and the moves;
  // each of its rows is written once, updated or inserted, so it counts what was scored (the
  // writes return nothing: a RETURNING list held for counting cost a sixth of the statement).
  const [row]: { scored: number; alerts: number; status_targets: string[] | null }[] = await m.query(
    `WITH pointed AS (
       SELECT i.*, left(e.division_code, 9) AS town, ${c.scoreSql} AS score, ${c.overrideRankSql} AS override_rank
       FROM "${SCHEMA}".enterprises e
       CROSS JOIN LATERAL (SELECT * FROM "${SCHEMA}".labour_indicators x WHERE x.uscc = e.uscc AND x.period <= $1 ORDER BY x.period DESC LIMIT 1) i
       WHERE ${range('e.uscc')} AND ($10::text IS NULL OR e.division_code LIKE $10 || '%') OFFSET 0),
     ranked AS (
       SELECT i.uscc, i.town, i.period AS reported_period, i.score, GREATEST(${c.rankOfScoreSql('i.score')}, i.override_rank) AS rank,
         ${c.bandIdsSql('i.score')} AS band_ids, ${c.overrideIdsSql('i.override_rank')} AS override_ids
       FROM pointed i OFFSET 0),
     prev AS (
       SELECT DISTINCT ON (uscc) uscc, period, level, level_rank, since, score, scheme_version, band_ids, override_ids, reported_period FROM "${SCHEMA}".labour_risk_scores
       WHERE ${range('uscc')} AND period <= $1 ORDER BY uscc, period DESC),
     scored AS (
       SELECT uscc, town, reported_period, stale, p_period, p_level, p_rank, p_since,
         CASE WHEN carried THEN p_score ELSE score END AS score,
         CASE WHEN carried THEN p_rank ELSE rank END AS rank,
         CASE WHEN carried THEN p_level ELSE ${c.levelOfRankSql('rank')} END AS level,
         CASE WHEN carried THEN p_version ELSE $4 END AS scheme_version,
         CASE WHEN carried THEN NULLIF(p_bands, '{}') ELSE band_ids END AS band_ids,
         CASE WHEN carried THEN NULLIF(p_overrides, '{}') ELSE override_ids END AS override_ids
       FROM (SELECT r.*, r.reported_period < $1 AS stale, coalesce(r.reported_period < $1 AND p.reported_period = r.reported_period, false) AS carried,
               p.period AS p_period, p.level AS p_level, p.level_rank AS p_rank, p.since AS p_since,
               p.score AS p_score, p.scheme_version AS p_version, p.band_ids AS p_bands, p.override_ids AS p_overrides
             FROM ranked r LEFT JOIN prev p USING (uscc)) joined),
     updated AS (
       UPDATE "${SCHEMA}".labour_risk_scores t SET scheme_version = s.scheme_version, score = s.score, level = s.level, level_rank = s.rank, band_ids = s.band_ids,
         override_ids = s.override_ids, since = CASE WHEN s.p_level = s.level THEN s.p_since ELSE $5 END, scored_at = $5, run_id = $6,
         stale = s.stale, reported_period = s.reported_period
       FROM scored s WHERE s.p_period = $1 AND t.uscc = s.uscc AND t.period = $1),
     inserted AS (
       INSERT INTO "${SCHEMA}".labour_risk_scores (uscc, period, scheme_version, score, level, level_rank, band_ids, override_ids, since, scored_at, run_id, stale, reported_period)
       SELECT uscc, $1, scheme_version, score, level, rank, band_ids, override_ids, CASE WHEN p_level = level THEN p_since ELSE $5 END, $5, $6,
         stale, reported_period
       FROM scored WHERE p_period IS DISTINCT FROM $1),
     rises AS (
       SELECT 'LEVEL_RISE' AS kind, NULL::text AS reports_stopped_since, uscc, town, level, coalesce(p_level, 'NORMAL') AS previous_level, score, scheme_version, band_ids, override_ids
       FROM scored WHERE rank = ANY($7::int[]) AND rank > coalesce(p_rank, 0)
       UNION ALL
       SELECT 'REPORTS_STOPPED', to_char(to_date(reported_period, 'YYYY-MM') + interval '1 month', 'YYYY-MM'), uscc, town, level, level, score, scheme_version, band_ids, override_ids
       FROM scored WHERE stale AND rank >= $11 AND ${monthNo('$1')} - ${monthNo('reported_period')} >= $12),
     ${raise.ctes},
     moved AS (
       SELECT uscc FROM scored
       WHERE (level = ANY($8::text[])) IS DISTINCT FROM (coalesce(p_level = ANY($8::text[]), false))
          OR (level = ANY($9::text[])) IS DISTINCT FROM (p_level IS NULL OR p_level = ANY($9::text[])))
     SELECT (SELECT count(*) FROM scored)::int AS scored, (${raise.alerts})::int AS alerts,
            (SELECT array_agg(uscc) FROM moved) AS status_targets, $3::text AS chunk_end`,
    [o.period, o.lo, o.hi, o.schemeVersion, o.at, o.runId, alertRanks, o.watchLevels, o.redLevels, o.division, stoppedRank, scheme.reportsStopped.afterMonths],
  );
  return { scored: row.scored, alerts: row.alerts, statusTargets: row.status_targets };
}

/** Memory for one chunk's statement: its rows (about 250 bytes each) held at once, never less than 16 MB. */
const chunkWorkMemMb = (chunkSize: number) => Math.max(16, Math.ceil((chunkSize * 400) / 1_048_576));

/**
 * The BullMQ processor. The run's chunks are claimed one at a time (`FOR UPDATE SKIP LOCKED`) by
 * a few lanes at once, so both cores work; each chunk's scores, alerts, status changes and its
 * done mark commit in one transaction. A worker killed halfway loses only the chunks in flight,
 * and the retried job scores exactly the chunks not yet done.
 */
export async function processScoringJob(rt: EnterpriseCreditRuntime, job: Job<ScoringJob>, effects: ScoringEffects): Promise<unknown> {
  const { runs } = rt;
  const run = await runs.get(rt.ds, job.data.runId);
  if (!run) throw notFound('scoring run', job.data.runId);
  const started = await runs.markRunning(rt.ds, run.id);
  if (started.status === 'COMPLETED') return started.result;
  try {
    const period = String(run.params.period);
    const schemeVersion = Number(run.params.schemeVersion);
    const division = (run.params.division as string | null | undefined) ?? null;
    const chunks = await chunksOf(rt, run.id, period, rt.options.scoringChunkSize, division);
    const credit = await creditSchemeOn(rt.ds, `${period}-01`);
    const lane = async () => {
      // what follows a chunk's commit (the job's progress on the queue, the deliveries queued)
      // runs while the lane scores its next chunk, and is awaited before the lane goes on
      let after: Promise<unknown> = Promise.resolve();
      for (;;) {
        const progress = await rt.ds.transaction(async (m) => {
          const [chunk]: { chunk_no: number }[] = await m.query(
            `SELECT chunk_no FROM "${SCHEMA}".scoring_run_chunks WHERE run_id = $1 AND done_at IS NULL ORDER BY chunk_no LIMIT 1 FOR UPDATE SKIP LOCKED`,
            [run.id],
          );
          if (!chunk) return null;
          // a chunk's scored rows are held once for the writes, the rises and the moves: in memory
          await m.query(`SET LOCAL work_mem = '${chunkWorkMemMb(rt.options.scoringChunkSize)}MB'`);
          await m.query('SET LOCAL jit = off');
          const at = rt.clock.now();
          const { lo, hi } = chunks[chunk.chunk_no];
          const out = await scoreChunk(rt, m, effects, { runId: run.id, period, schemeVersion, lo, hi, at, watchLevels: credit.definition.status.watchRiskLevels, redLevels: credit.definition.status.redRiskLevels, division });
          const alerts = out.alerts;
          if (out.statusTargets?.length) await recomputeStatuses(rt, m, out.statusTargets, at);
          const [totals]: { done: number; scored: number; alerts: number }[] = await m.query(
            `WITH mark AS (UPDATE "${SCHEMA}".scoring_run_chunks SET done_at = $3, scored = $4, alerts = $5 WHERE run_id = $1 AND chunk_no = $2 RETURNING 1)
             SELECT (count(*) + 1)::int AS done, (coalesce(sum(scored), 0) + $4)::int AS scored, (coalesce(sum(alerts), 0) + $5)::int AS alerts
             FROM "${SCHEMA}".scoring_run_chunks WHERE run_id = $1 AND done_at IS NOT NULL AND chunk_no <> $2 AND EXISTS (SELECT 1 FROM mark)`,
            [run.id, chunk.chunk_no, at, out.scored, alerts],
          );
          const p = totals.done / chunks.length;
          await runs.reportProgress(m, run.id, p, { scored: totals.scored, alertsRaised: totals.alerts, chunks: chunks.length, chunksDone: totals.done });
          return p;
        });
        await after;
        if (progress == null) return;
        after = Promise.all([job.updateProgress(Math.round(progress * 100)), effects.committed()]);
        after.catch(() => undefined); // handled where it is awaited, even if the next chunk fails first
      }
    };
    await Promise.all(Array.from({ length: Math.min(rt.options.scoringLanes, Math.max(1, chunks.length)) }, lane));
    const [totals]: { scored: number; alerts: number }[] = await rt.ds.query(
      `SELECT coalesce(sum(scored), 0)::int AS scored, coalesce(sum(alerts), 0)::int AS alerts FROM "${SCHEMA}".scoring_run_chunks WHERE run_id = $1`,
      [run.id],
    );
    const result = { scored: totals.scored, alertsRaised: totals.alerts, chunks: chunks.length };
    await runs.complete(rt.ds, run.id, result);
    await effects.committed();
    return result;
  } catch (err) {
    await runs.fail(rt.ds, run.id, err).catch(() => undefined);
    throw err;
  }
}

/** Nightly: the latest month anything was reported for, up to this one. */
export async function startNightlyScoring(rt: EnterpriseCreditRuntime): Promise<JobRun | null> {
  const at = rt.clock.now();
  const [row]: { period: string | null }[] = await rt.ds.query(`SELECT max(period) AS period FROM "${SCHEMA}".labour_indicators WHERE period <= $1`, [cityMonth(at)]);
  if (!row?.period) return null;
  return startScoringRun(rt, row.period, `nightly:${at.toISOString().slice(0, 10)}:${row.period}`);
}
