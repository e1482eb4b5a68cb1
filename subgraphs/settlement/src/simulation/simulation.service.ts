import type { EntityManager } from 'typeorm';
import { requireRole, requireRoleIn, type Caller } from '@citypoints/auth';
import { RunStatus } from '@citypoints/federation';
import { badInput, isUuid } from '@citypoints/kit';
import { parseDefinition } from '@citypoints/schemes';
import { SCHEMA } from '../context';
import { rankAndPlaceCanonical, type CanonicalApplication, type CanonicalResult } from '../admission/canonical';
import { scoreSchoolLines } from '../admission/application.service';
import { scoreApplication, type IndicatorState, type SchemeDefinition } from '../schemes/engine';
import { linesUnderDraft, type StoredApplication } from '../schemes/record-lines';
import { SCHEME_TABLES } from '../schemes/scheme.service';
import { SchemeKind } from '../schemes/scheme.type';
import { requireTownCode } from '../schools/school.service';
import type { SettlementRuntime } from '../runtime';
import type { CutoffChange, SchemeSimulation, SimulationMover } from './simulation.type';

export const SIMULATION_RUN_KIND = 'scheme-simulation';
/** how many of the largest movers a simulation keeps */
export const MOVERS_KEPT = 200;

/** the roles that may simulate some scheme somewhere (the city admin passes every role check) */
const SIMULATORS = ['EDUCATION_OFFICER', 'HUKOU_OFFICER', 'TOWN_OFFICIAL'] as const;

const OFFICER = { [SchemeKind.SCHOOL_ADMISSION]: 'EDUCATION_OFFICER', [SchemeKind.HOUSEHOLD_REGISTRATION]: 'HUKOU_OFFICER' } as const;

/**
 * Who may simulate a kind's scheme: the kind's officers and the town officials of the town, the
 * city admin anywhere; a city-wide simulation only the city admin.
 */
function requireSimulator(caller: Caller | null, kind: SchemeKind, townCode: string | null): Caller {
  if (townCode === null) return requireRole(caller, 'CITY_ADMIN');
  return requireRoleIn(caller, townCode, OFFICER[kind], 'TOWN_OFFICIAL');
}

interface SimulationRow {
  id: string;
  kind: SchemeKind;
  year: number;
  town_code: string | null;
  applications: number | null;
  changed_eligibility: number | null;
  changed_placement: number | null;
  point_changes: Record<string, number> | null;
  movers: SimulationMover[] | null;
  cutoff_changes: CutoffChange[] | null;
  status: RunStatus;
  progress: string | number;
  error: string | null;
}

const SELECT = `SELECT s.id, s.kind, s.year, s.town_code, s.applications, s.changed_eligibility, s.changed_placement, s.point_changes, s.movers, s.cutoff_changes,
  j.status, j.progress, j.error FROM "${SCHEMA}".scheme_simulations s JOIN "${SCHEMA}".job_runs j ON j.id = s.id`;

const toSimulation = (r: SimulationRow): SchemeSimulation => ({
  id: r.id,
  kind: r.kind,
  year: r.year,
  townCode: r.town_code,
  status: r.status,
  progress: Number(r.progress),
  error: r.error,
  applications: r.applications,
  changedEligibility: r.changed_eligibility,
  changedPlacement: r.changed_placement,
  pointChanges: r.point_changes,
  moverList: r.movers ?? [],
  cutoffChanges: r.cutoff_changes ?? [],
});

/** Records a simulation of a draft definition (validated exactly as a publication is) and queues its job. */
export async function requestSimulation(rt: SettlementRuntime, c: Caller | null, kind: SchemeKind, year: number, raw: unknown, townCode: string | null): Promise<SchemeSimulation> {
  if (townCode != null) requireTownCode(townCode);
  const caller = requireSimulator(c, kind, townCode ?? null);
  if (!Number.isInteger(year) || year < 2000 || year > 2100) throw badInput('year must be 2000..2100', { field: 'year' });
  const definition = parseDefinition(SCHEME_TABLES[kind], raw);
  const sim = await rt.ds.transaction(async (m) => {
    const job = await rt.runs.create(m, { kind: SIMULATION_RUN_KIND, params: { kind, year, townCode: townCode ?? null } });
    await m.query(`INSERT INTO "${SCHEMA}".scheme_simulations (id, kind, year, town_code, definition, requested_by) VALUES ($1, $2, $3, $4, $5::jsonb, $6)`, [
      job.id,
      kind,
      year,
      townCode ?? null,
      JSON.stringify(definition),
      caller.sub,
    ]);
    const rows: SimulationRow[] = await m.query(`${SELECT} WHERE s.id = $1`, [job.id]);
    return toSimulation(rows[0]);
  });
  await rt.queues.simulation.add('simulate', { simulationId: sim.id }, { jobId: sim.id });
  return sim;
}

/** A simulation, for those who may run one of its kind and town; null when unknown (to those who may run simulations at all). */
export async function schemeSimulation(rt: SettlementRuntime, caller: Caller | null, id: string): Promise<SchemeSimulation | null> {
  requireRole(caller, ...SIMULATORS);
  if (!isUuid(id)) return null;
  const rows: SimulationRow[] = await rt.ds.query(`${SELECT} WHERE s.id = $1`, [id]);
  if (!rows.length) return null;
  requireSimulator(caller, rows[0].kind, rows[0].town_code);
  return toSimulation(rows[0]);
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** One application before and after: the figures the ranking sorts by, and who it is (masked). */
interface Subject {
  app: string;
  name: string;
  pool: string | null;
  before: CanonicalApplication;
  after: CanonicalApplication;
  inPoolBefore: boolean;
  inPoolAfter: boolean;
}

export interface SimulationSummary {
  applications: number;
  changedEligibility: number;
  changedPlacement: number;
  pointChanges: Record<string, number>;
  movers: SimulationMover[];
  cutoffChanges: CutoffChange[];
}

type SchoolRow = [string, string, string, IndicatorState[], number, number, number, boolean, boolean, boolean, string, string, string, string, string | null, number, string];

/** The definitions of the scheme versions applications are scored under, by id. */
async function definitionsOf(m: EntityManager, ids: string[]): Promise<Map<string, SchemeDefinition>> {
  const rows: { id: string; definition: SchemeDefinition }[] = await m.query(`SELECT id::text AS id, definition FROM "${SCHEMA}".schemes WHERE id::text = ANY($1::text[])`, [[...new Set(ids)]]);
  return new Map(rows.map((r) => [r.id, r.definition]));
}

/**
 * The school pools of the year under the draft: every application still in a pool (submitted or
 * verified) scored again from the lines it would hold under the draft (its lines, with those the
 * draft declares verified from the city's records as a real run would see them: linesUnderDraft), then each pool with a published run ranked and placed
 * before and after by the ranking the runs are verified against (canonical.ts), with the run's seed.
 */
async function simulateSchool(m: EntityManager, def: SchemeDefinition, year: number, townCode: string | null, progress: (p: number) => Promise<unknown>) {
  const client = (await m.queryRunner!.connect()) as import('pg').PoolClient;
  const res = await client.query<SchoolRow>({
    text: `SELECT a.application_no, a.town_code || '/' || a.grade, COALESCE(p.name_masked, '*'), a.indicators, a.total::float8, a.tie1::float8, a.tie2::float8,
                  cardinality(a.unmet_conditions) = 0, a.priority_claim,
                  EXISTS (SELECT 1 FROM "${SCHEMA}".talent_cards t WHERE t.holder_id = a.parent_id AND t.status = 'ISSUED'),
                  to_char(a.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), array_to_string(a.preferences, ','), s.code || '/' || s.version,
                  a.parent_id::text, a.child_resident_id::text, floor(extract(epoch FROM a.submitted_at) * 1000)::float8, a.scheme_id::text
           FROM "${SCHEMA}".school_applications a JOIN "${SCHEMA}".schemes s ON s.id = a.scheme_id LEFT JOIN "${SCHEMA}".residents p ON p.id = a.parent_id
           WHERE a.year = $1 AND ($2::text IS NULL OR a.town_code = $2) AND a.status IN ('SUBMITTED','VERIFIED')`,
    values: [year, townCode],
    rowMode: 'array',
  });
  const pools: { pool: string; seed: string }[] = await m.query(
    `SELECT c.town_code || '/' || c.grade AS pool, ar.seed FROM "${SCHEMA}".admission_current c JOIN "${SCHEMA}".admission_runs ar ON ar.id = c.run_id
     WHERE c.year = $1 AND ($2::text IS NULL OR c.town_code = $2)`,
    [year, townCode],
  );
  const seats: { pool: string; school: string; seats: number }[] = await m.query(
    `SELECT s.town_code || '/' || ss.grade AS pool, ss.school_id AS school, ss.seats FROM "${SCHEMA}".school_seats ss JOIN "${SCHEMA}".schools s ON s.id = ss.school_id
     WHERE ss.year = $1 AND ($2::text IS NULL OR s.town_code = $2)`,
    [year, townCode],
  );
  const definitions = await definitionsOf(m, res.rows.map((r) => r[16]));
  const drafted = await linesUnderDraft(
    m,
    def,
    res.rows.map(([, , , lines, , , , , , , , , , parent, child, submittedMs, schemeId]): StoredApplication => ({
      lines,
      subjects: { PARENT: parent, ...(child && { CHILD: child }) },
      submittedAt: new Date(submittedMs),
      scoredUnder: definitions.get(schemeId)!,
    })),
  );
  await progress(0.3);
  const subjects: Subject[] = res.rows.map(([app, pool, name, , total, tie1, tie2, eligible, priorityClaim, card, submittedAt, prefs, scheme], i) => {
    const s = scoreSchoolLines(def, drafted[i]);
    const preferences = prefs ? prefs.split(',') : [];
    const before: CanonicalApplication = { app, scheme, total, tie: [tie1, tie2], priority: priorityClaim || card, submittedAt, preferences, eligible, lines: '' };
    const after: CanonicalApplication = { app, scheme: 'draft', total: s.total, tie: [s.tie1, s.tie2], priority: s.priority || card, submittedAt, preferences, eligible: s.unmet.length === 0, lines: '' };
    return { app, name, pool, before, after, inPoolBefore: eligible && total >= 0, inPoolAfter: after.eligible && after.total >= 0 };
  });
  await progress(0.5);
  const byPool = new Map<string, Subject[]>();
  for (const s of subjects) {
    const list = byPool.get(s.pool!);
    if (list) list.push(s);
    else byPool.set(s.pool!, [s]);
  }
  const seatsOf = new Map<string, { school: string; seats: number }[]>();
  for (const s of seats) seatsOf.set(s.pool, [...(seatsOf.get(s.pool) ?? []), { school: s.school, seats: s.seats }]);
  const resultBefore = new Map<string, CanonicalResult>();
  const resultAfter = new Map<string, CanonicalResult>();
  const cutoffs: CutoffChange[] = [];
  for (const { pool, seed } of pools) {
    const members = byPool.get(pool) ?? [];
    const [town, grade] = pool.split('/');
    const header = { year, town, grade, seed };
    const poolSeats = seatsOf.get(pool) ?? [];
    const before = rankAndPlaceCanonical(header, poolSeats, members.map((s) => s.before));
    const after = rankAndPlaceCanonical(header, poolSeats, members.map((s) => s.after));
    for (const r of before) resultBefore.set(r.app, r);
    for (const r of after) resultAfter.set(r.app, r);
    const cutBefore = cutoffsOf(before, new Map(members.map((s) => [s.app, s.before])));
    const cutAfter = cutoffsOf(after, new Map(members.map((s) => [s.app, s.after])));
    for (const { school } of poolSeats) {
      const b = cutBefore.get(school) ?? null;
      const a = cutAfter.get(school) ?? null;
      if (b !== a) cutoffs.push({ schoolId: school, before: b, after: a });
    }
  }
  cutoffs.sort((x, y) => (x.schoolId < y.schoolId ? -1 : x.schoolId > y.schoolId ? 1 : 0));
  return summarise(subjects, resultBefore, resultAfter, cutoffs);
}

/** The lowest total placed by points (not by priority) at each school, as a run records it. */
function cutoffsOf(results: CanonicalResult[], apps: Map<string, CanonicalApplication>): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of results) {
    if (!r.school) continue;
    const a = apps.get(r.app)!;
    if (a.priority) continue;
    const cur = out.get(r.school);
    if (cur === undefined || a.total < cur) out.set(r.school, a.total);
  }
  return out;
}

type HouseholdRow = [string, string, IndicatorState[], number, boolean, string[], string, string | null, string, number, string];

/**
 * The year's open and decided household applications under the draft, from the lines they would
 * hold under it (linesUnderDraft): eligibility is the threshold (or a verified condition).
 */
async function simulateHousehold(m: EntityManager, def: SchemeDefinition, year: number, townCode: string | null, progress: (p: number) => Promise<unknown>) {
  const client = (await m.queryRunner!.connect()) as import('pg').PoolClient;
  const res = await client.query<HouseholdRow>({
    text: `SELECT h.application_no, COALESCE(p.name_masked, '*'), h.indicators, h.total::float8, h.eligible, h.conditions_verified,
                  to_char(h.submitted_on, 'YYYY-MM-DD'), to_char(p.birth_date, 'YYYY-MM-DD'),
                  h.applicant_id::text, floor(extract(epoch FROM h.submitted_at) * 1000)::float8, h.scheme_id::text
           FROM "${SCHEMA}".household_applications h LEFT JOIN "${SCHEMA}".residents p ON p.id = h.applicant_id
           WHERE h.submitted_on >= make_date($1, 1, 1) AND h.submitted_on < make_date($1 + 1, 1, 1) AND ($2::text IS NULL OR h.town_code = $2)
             AND h.status NOT IN ('WITHDRAWN','REJECTED')`,
    values: [year, townCode],
    rowMode: 'array',
  });
  const definitions = await definitionsOf(m, res.rows.map((r) => r[10]));
  const drafted = await linesUnderDraft(
    m,
    def,
    res.rows.map(([, , lines, , , , , , applicant, submittedMs, schemeId]): StoredApplication => ({
      lines,
      subjects: { APPLICANT: applicant },
      submittedAt: new Date(submittedMs),
      scoredUnder: definitions.get(schemeId)!,
    })),
  );
  await progress(0.5);
  const subjects: Subject[] = res.rows.map(([app, name, , total, eligible, conditions, onDay, birthDate], i) => {
    const b = scoreApplication(def, drafted[i], { birthDate, onDay });
    const eligibleAfter = conditions.length > 0 || b.total >= (def.threshold ?? Infinity);
    const shape = (t: number, e: boolean): CanonicalApplication => ({ app, scheme: '', total: t, tie: [0, 0], priority: false, submittedAt: '', preferences: [], eligible: e, lines: '' });
    return { app, name, pool: null, before: shape(total, eligible), after: shape(b.total, eligibleAfter), inPoolBefore: eligible, inPoolAfter: eligibleAfter };
  });
  return summarise(subjects, new Map(), new Map(), []);
}

function summarise(subjects: Subject[], before: Map<string, CanonicalResult>, after: Map<string, CanonicalResult>, cutoffChanges: CutoffChange[]): SimulationSummary {
  const pointChanges: Record<string, number> = {};
  let changedEligibility = 0;
  let changedPlacement = 0;
  const moved: (SimulationMover & { delta: number; rankDelta: number })[] = [];
  for (const s of subjects) {
    const delta = round2(s.after.total - s.before.total);
    pointChanges[String(delta)] = (pointChanges[String(delta)] ?? 0) + 1;
    if (s.inPoolBefore !== s.inPoolAfter) changedEligibility++;
    const b = before.get(s.app);
    const a = after.get(s.app);
    const placementBeforeId = b?.school ?? null;
    const placementAfterId = a?.school ?? null;
    if (placementBeforeId !== placementAfterId) changedPlacement++;
    const rankBefore = b?.rank ?? null;
    const rankAfter = a?.rank ?? null;
    if (delta === 0 && rankBefore === rankAfter && placementBeforeId === placementAfterId && s.inPoolBefore === s.inPoolAfter) continue;
    moved.push({
      applicationNo: s.app,
      parentNameMasked: s.name,
      totalBefore: s.before.total,
      totalAfter: s.after.total,
      rankBefore,
      rankAfter,
      placementBeforeId,
      placementAfterId,
      delta: Math.abs(delta),
      rankDelta: rankBefore !== null && rankAfter !== null ? Math.abs(rankAfter - rankBefore) : Number.MAX_SAFE_INTEGER,
    });
  }
  moved.sort((x, y) => y.delta - x.delta || y.rankDelta - x.rankDelta || (x.applicationNo < y.applicationNo ? -1 : 1));
  const movers = moved.slice(0, MOVERS_KEPT).map(({ delta: _d, rankDelta: _r, ...mover }) => mover);
  return { applications: subjects.length, changedEligibility, changedPlacement, pointChanges, movers, cutoffChanges };
}

/**
 * The job's body. Reads the live data in one read-only snapshot (it cannot write there), computes
 * the summary in memory and stores it on the simulation's own row with the run's completion.
 */
export async function performSimulation(rt: SettlementRuntime, id: string, onProgress?: (p: number) => Promise<unknown>): Promise<SimulationSummary | null> {
  const { ds, runs } = rt;
  const started = await runs.markRunning(ds, id);
  if (started.status === 'COMPLETED') return null;
  const progress = async (p: number) => {
    await runs.reportProgress(ds, id, p);
    await onProgress?.(Math.round(p * 100));
  };
  try {
    const rows: { kind: SchemeKind; year: number; town_code: string | null; definition: SchemeDefinition }[] = await ds.query(
      `SELECT kind, year, town_code, definition FROM "${SCHEMA}".scheme_simulations WHERE id = $1`,
      [id],
    );
    if (!rows.length) throw new Error(`scheme simulation ${id} is not recorded`);
    const { kind, year, town_code: townCode, definition } = rows[0];
    const summary = await ds.transaction('REPEATABLE READ', async (m) => {
      await m.query('SET TRANSACTION READ ONLY');
      return kind === SchemeKind.SCHOOL_ADMISSION ? simulateSchool(m, definition, year, townCode, progress) : simulateHousehold(m, definition, year, townCode, progress);
    });
    await ds.transaction(async (m) => {
      await m.query(
        `UPDATE "${SCHEMA}".scheme_simulations SET applications = $2, changed_eligibility = $3, changed_placement = $4, point_changes = $5::jsonb, movers = $6::jsonb, cutoff_changes = $7::jsonb WHERE id = $1`,
        [id, summary.applications, summary.changedEligibility, summary.changedPlacement, JSON.stringify(summary.pointChanges), JSON.stringify(summary.movers), JSON.stringify(summary.cutoffChanges)],
      );
      await runs.complete(m, id, { applications: summary.applications, changedEligibility: summary.changedEligibility, changedPlacement: summary.changedPlacement });
    });
    return summary;
  } catch (err) {
    await runs.fail(ds, id, err).catch(() => undefined);
    throw err;
  }
}
