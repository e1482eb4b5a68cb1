import { canReachDivision, hasRole, isCityWide, mustAuditRead, requireCaller, requireRoleIn, writeAudit, type Caller } from '@citypoints/auth';
import { loader } from '@citypoints/federation';
import { ageOn, badInput, checkIdempotencyKey, cityDate, conflict, DomainError, forbidden, invalidState, isUuid, notFound, parseIdNumber, type Queryable as Q, townOf, unavailable } from '@citypoints/kit';
import { SCHEMA } from '../context';
import { requireActingFor, requireFullView } from '../access';
import { residentFacts } from '../residents/resident.projection';
import { linePoints, scoreApplication, unmetConditions, type Breakdown, type IndicatorState, type SchemeDefinition } from '../schemes/engine';
import { allDecided, applyVerdicts, parseClaims, type IndicatorVerdict } from '../schemes/indicators';
import { requireSchemeInForce } from '../schemes/scheme.service';
import { SchemeKind } from '../schemes/scheme.type';
import { requireTownCode } from '../schools/school.service';
import { returning } from '../sql';
import { addYears, barUntil, checkNotBarred } from '../bars';
import type { SchoolApplication, SubmitSchoolApplicationInput } from './application.type';
import type { Ctx, SettlementRuntime } from '../runtime';
import { INELIGIBLE } from '../errors';
import { poolLock } from './admission.service';
import { declaresFor, lockRecordSubjects, sameLines, sameValues, verifyFromRecords, type RecordSubjects } from '../schemes/record-lines';
import { RECORD_FACTS, type RecordFact, type ResidentState } from '@citypoints/events';

export interface ApplicationRow {
  application_no: string;
  year: number;
  grade: SchoolApplication['grade'];
  town_code: string;
  parent_id: string;
  child_name: string;
  child_id_number: string;
  /** registry's resident id of the child's ID number, when registry knew it at submission */
  child_resident_id: string | null;
  scheme_id: string;
  status: SchoolApplication['storedStatus'];
  preferences: string[];
  indicators: IndicatorState[];
  breakdown: Breakdown;
  priority_claim: boolean;
  submitted_at: Date;
  disqualified_reason: string | null;
  unmet_conditions: string[];
}

const COLUMNS = `application_no, year, grade, town_code, parent_id, child_name, child_id_number, child_resident_id, scheme_id, status, preferences::text[] AS preferences,
  indicators, breakdown, priority_claim, submitted_at, disqualified_reason, unmet_conditions`;

export const toApplication = (r: ApplicationRow): SchoolApplication => ({
  applicationNo: r.application_no,
  year: r.year,
  grade: r.grade,
  submittedAt: r.submitted_at,
  townCode: r.town_code,
  parentId: r.parent_id,
  childFullName: r.child_name,
  storedStatus: r.status,
  preferenceIds: r.preferences,
  breakdown: r.breakdown,
  schemeId: r.scheme_id,
  priorityClaim: r.priority_claim,
  disqualifiedReason: r.disqualified_reason,
  unmetConditions: r.unmet_conditions,
});

const OFFICIALS = ['EDUCATION_OFFICER', 'TOWN_OFFICIAL'] as const;

function validChildName(raw: string): string {
  const name = (raw ?? '').trim();
  const n = Array.from(name).length;
  if (n < 2 || n > 40) throw badInput('childName must have 2 to 40 characters', { field: 'childName' });
  return name;
}

function validKey(key: string | null | undefined): string | null {
  if (key == null) return null;
  checkIdempotencyKey(key);
  return key;
}

/** School year Y takes applications from the window's opening day of Y−1 to its closing day of Y. */
function requireWindowOpen(def: SchemeDefinition, year: number, today: string): void {
  const w = def.applicationWindow;
  if (!w) return;
  const opens = `${year - 1}-${w.opensMonthDay}`;
  const closes = `${year}-${w.closesMonthDay}`;
  if (today < opens || today > closes) throw invalidState(`applications for ${year} are accepted from ${opens} to ${closes}`, { opens, closes });
}

/** Scores lines and keeps the figures ranking sorts by next to the breakdown. */
export function scoreSchoolLines(def: SchemeDefinition, lines: IndicatorState[]) {
  const breakdown = scoreApplication(def, lines);
  const [t1, t2] = def.tieBreakers ?? [];
  return { breakdown, total: breakdown.total, tie1: linePoints(breakdown, t1), tie2: linePoints(breakdown, t2), priority: breakdown.priority, unmet: unmetConditions(def, lines) };
}

/** The application a caller submitted under a key: keys are the caller's own, another caller's never match. */
async function byKey(m: Q, caller: Caller, key: string): Promise<ApplicationRow | null> {
  const rows: ApplicationRow[] = await m.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".school_applications WHERE idempotency_caller = $1 AND idempotency_key = $2`, [caller.sub, key]);
  return rows[0] ?? null;
}

/** The residents whose records verify an application's lines, by the subject a scheme declares. */
const subjectsOf = (row: Pick<ApplicationRow, 'parent_id' | 'child_resident_id'>): RecordSubjects => ({ PARENT: row.parent_id, ...(row.child_resident_id && { CHILD: row.child_resident_id }) });

/**
 * Registry's resident id of the child's ID number, asked through the signed internal lookup (it
 * answers the id only); null when registry knows no such resident, or where the city runs
 * without registry. Registry unreachable refuses the submission (SERVICE_UNAVAILABLE), retried
 * under its key, rather than scoring the child's records as absent.
 */
async function childResidentOf(rt: SettlementRuntime, idNumber: string): Promise<string | null> {
  if (!rt.registry?.configured) return null;
  try {
    return (await rt.registry.residentIdsByIdNumber([idNumber])).get(idNumber) ?? null;
  } catch (e) {
    rt.log(`settlement: registry could not resolve a child's resident id (${(e as Error).message})`);
    throw unavailable();
  }
}

export async function submitSchoolApplication(rt: SettlementRuntime, c: Caller | null, input: SubmitSchoolApplicationInput): Promise<SchoolApplication> {
  const caller = requireCaller(c);
  const childName = validChildName(input.childName);
  const child = parseIdNumber(input.childIdNumber);
  const townCode = requireTownCode(input.townCode);
  const key = validKey(input.idempotencyKey);
  if (!Number.isInteger(input.year) || input.year < 2000 || input.year > 2100) throw badInput('year must be 2000..2100', { field: 'year' });
  const prefs = input.preferences;
  if (prefs.length < 1 || prefs.length > 3) throw badInput('name 1 to 3 schools in order of preference', { field: 'preferences' });
  if (new Set(prefs).size !== prefs.length || !prefs.every(isUuid)) throw badInput('preferences must be distinct school ids', { field: 'preferences' });
  // asked before the transaction: no row is locked while registry answers
  const childResidentId = await childResidentOf(rt, child.idNumber);
  return rt.ds.transaction(async (m) => {
    if (key) {
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`school-application:${caller.sub}:${key}`]);
      const first = await byKey(m, caller, key);
      if (first) {
        requireActingFor(caller, first.parent_id, first.town_code, [...OFFICIALS]);
        if (first.parent_id !== input.parentId) throw conflict('this idempotency key belongs to another application', { field: 'idempotencyKey' });
        return toApplication(first);
      }
    }
    const parent = await residentFacts(m, input.parentId);
    requireActingFor(caller, parent.id, townCode, [...OFFICIALS]);
    const official = hasRole(caller, 'CITY_ADMIN', ...OFFICIALS) && canReachDivision(caller, townCode);
    if (townOf(parent.divisionCode) !== townCode && !official) throw badInput(`the parent lives in ${townOf(parent.divisionCode)}, not in ${townCode}`, { field: 'townCode' });
    const scheme = await requireSchemeInForce(m, SchemeKind.SCHOOL_ADMISSION, input.year);
    const wanted = scheme.definition.parentHukou;
    if (wanted && parent.hukou !== wanted) {
      throw new DomainError(INELIGIBLE, `the scoring parent must be ${wanted} in registry; a ${parent.hukou} family's child is placed through the catchment system, not by points`, { reason: `PARENT_${parent.hukou}` });
    }
    const now = rt.clock.now();
    const today = cityDate(now);
    requireWindowOpen(scheme.definition, input.year, today);
    await checkNotBarred(m, parent.id, 'SCHOOL', today);
    const ages = scheme.definition.childAge;
    if (ages) {
      const childAge = ageOn(child.birthDate, `${input.year}-${ages.onMonthDay}`);
      if (childAge < ages.min || childAge > ages.max) {
        throw badInput(`the child is ${childAge} on ${input.year}-${ages.onMonthDay}; school places by points are for ages ${ages.min} to ${ages.max}`, { field: 'childIdNumber' });
      }
    }
    const schools: { id: string }[] = await m.query(`SELECT id FROM "${SCHEMA}".schools WHERE id = ANY($1::uuid[]) AND town_code = $2`, [prefs, townCode]);
    if (schools.length !== prefs.length) throw badInput(`every preferred school must be a school of town ${townCode}`, { field: 'preferences' });
    const live = await m.query(`SELECT 1 FROM "${SCHEMA}".school_applications WHERE child_id_number = $1 AND year = $2 AND status NOT IN ('WITHDRAWN','DISQUALIFIED')`, [child.idNumber, input.year]);
    if (live.length) throw conflict(`this child already has an application for ${input.year}`, { field: 'childIdNumber' });
    const subjects = subjectsOf({ parent_id: parent.id, child_resident_id: childResidentId });
    await lockRecordSubjects(m, Object.values(subjects));
    const lines = await verifyFromRecords(m, scheme.definition, parseClaims(scheme.definition, input.indicators), subjects, now);
    const s = scoreSchoolLines(scheme.definition, lines);
    const rows: ApplicationRow[] = await m.query(
      `INSERT INTO "${SCHEMA}".school_applications
        (application_no, year, grade, town_code, parent_id, child_name, child_id_number, scheme_id, status, preferences, indicators, breakdown, total, tie1, tie2, priority_claim, submitted_at, idempotency_key, unmet_conditions, idempotency_caller, child_resident_id)
       VALUES ('SA' || $1::int || '-' || lpad(nextval('"${SCHEMA}".application_seq')::text, 7, '0'), $1, $2, $3, $4, $5, $6, $7, 'SUBMITTED', $8::uuid[], $9::jsonb, $10::jsonb, $11, $12, $13, $14, $15, $16, $17, $18, $19)
       RETURNING ${COLUMNS}`,
      [input.year, input.grade, townCode, parent.id, childName, child.idNumber, scheme.id, prefs, JSON.stringify(lines), JSON.stringify(s.breakdown), s.total, s.tie1, s.tie2, s.priority, now, key, s.unmet, key ? caller.sub : null, childResidentId],
    );
    return toApplication(rows[0]);
  });
}

export async function lockApplication(m: Q, applicationNo: string): Promise<ApplicationRow> {
  const rows: ApplicationRow[] = await m.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".school_applications WHERE application_no = $1 FOR UPDATE`, [applicationNo]);
  if (!rows.length) throw notFound('school application', applicationNo);
  return rows[0];
}

export const requireOpen = (row: ApplicationRow) => {
  if (row.status === 'WITHDRAWN' || row.status === 'DISQUALIFIED') throw invalidState(`application ${row.application_no} is ${row.status}`, { status: row.status });
};

/**
 * Counts a change to the pool an application competes in: a run that has not seen it cannot
 * become the final list (the finalising job re-runs the pool with the same seed first).
 */
export async function notePoolChange(m: Q, row: Pick<ApplicationRow, 'year' | 'town_code' | 'grade'>): Promise<void> {
  await m.query(`UPDATE "${SCHEMA}".admission_current SET line_changes = line_changes + 1 WHERE year = $1 AND town_code = $2 AND grade = $3`, [row.year, row.town_code, row.grade]);
}

/** Stores new lines of a locked application, rescored under its own scheme version. */
async function storeLines(m: Q, row: ApplicationRow, def: SchemeDefinition, lines: IndicatorState[]): Promise<ApplicationRow> {
  const s = scoreSchoolLines(def, lines);
  const updated = await returning<ApplicationRow>(
    m,
    `UPDATE "${SCHEMA}".school_applications SET indicators = $2::jsonb, breakdown = $3::jsonb, total = $4, tie1 = $5, tie2 = $6, priority_claim = $7, status = $8, unmet_conditions = $9
     WHERE application_no = $1 RETURNING ${COLUMNS}`,
    [row.application_no, JSON.stringify(lines), JSON.stringify(s.breakdown), s.total, s.tie1, s.tie2, s.priority, allDecided(lines) ? 'VERIFIED' : 'SUBMITTED', s.unmet],
  );
  return updated[0];
}

/**
 * A record fact of a resident arrived: the applications not yet ranked that name them (as the
 * scoring parent or as the child), under a scheme that verifies a line from it for that subject,
 * take the amounts settlement now holds. A ranked application keeps the lines its run saw. Runs in
 * the event's transaction, holding the resident's record lock, then the pools' locks (the order a
 * run never reverses: it takes only its pool's).
 */
export async function refreshSchoolRecordLines(m: Q, fact: Pick<RecordFact, 'source' | 'fact'>, residentId: string): Promise<number> {
  // a run of the pool in progress finishes first (it holds the pool's lock): its results then show which applications it ranked
  const pools: { year: number; town_code: string; grade: string }[] = await m.query(
    `SELECT DISTINCT year, town_code, grade FROM "${SCHEMA}".school_applications
      WHERE (parent_id = $1::uuid OR child_resident_id = $1::uuid) AND status IN ('SUBMITTED', 'VERIFIED') ORDER BY year, town_code, grade`,
    [residentId],
  );
  for (const p of pools) await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [poolLock(p.year, p.town_code, p.grade)]);
  const rows: (ApplicationRow & { definition: SchemeDefinition })[] = await m.query(
    `SELECT ${COLUMNS}, (SELECT s.definition FROM "${SCHEMA}".schemes s WHERE s.id = a.scheme_id) AS definition
       FROM "${SCHEMA}".school_applications a
      WHERE (a.parent_id = $1::uuid OR a.child_resident_id = $1::uuid) AND a.status IN ('SUBMITTED', 'VERIFIED')
        AND NOT EXISTS (SELECT 1 FROM "${SCHEMA}".admission_current c
                          JOIN "${SCHEMA}".admission_runs r ON r.id = c.run_id
                          JOIN "${SCHEMA}".admission_results x ON x.run_no = r.run_no AND x.application_no = a.application_no
                         WHERE c.year = a.year AND c.town_code = a.town_code AND c.grade = a.grade)
      ORDER BY a.application_no
      FOR UPDATE`,
    [residentId],
  );
  let changed = 0;
  for (const { definition, ...row } of rows) {
    const subjects = subjectsOf(row);
    if (!declaresFor(definition, fact, subjects, residentId)) continue;
    const lines = await verifyFromRecords(m, definition, row.indicators, subjects, row.submitted_at);
    if (sameLines(row.indicators, lines)) continue;
    await storeLines(m, row, definition, lines);
    changed++;
  }
  return changed;
}

/**
 * A resident registry has just registered may be the child of an application submitted before:
 * the open applications whose child has no resident id yet and whose child's ID number holds the
 * resident's birth date (one index probe) are the candidates. Registry's signed lookup decides (it
 * answers the resident id of each ID number; the event carries no ID number, not even masked):
 * the ones it confirms as this resident link the child, and the lines their scheme declares
 * verified from the child's records follow the records from then on. Runs in the event's
 * transaction: the resident's record lock, the pools' locks, then the rows (the order of a record
 * fact). Writes only applications naming this resident's ID number, and only while unlinked: a
 * second delivery changes nothing.
 */
/** ID numbers per signed lookup (registry answers at most 500 keys a call) */
const LOOKUP_BATCH = 500;

export async function linkRegisteredChild(rt: Pick<SettlementRuntime, 'registry'>, m: Q, resident: Pick<ResidentState, 'id' | 'birthDate'>): Promise<number> {
  if (!rt.registry?.configured || !/^\d{4}-\d{2}-\d{2}$/.test(resident.birthDate)) return 0;
  const open = `child_resident_id IS NULL AND status IN ('SUBMITTED', 'VERIFIED')`;
  const candidates: { child_id_number: string }[] = await m.query(
    `SELECT DISTINCT child_id_number FROM "${SCHEMA}".school_applications WHERE substr(child_id_number, 7, 8) = $1 AND ${open} ORDER BY child_id_number`,
    [resident.birthDate.replace(/-/g, '')],
  );
  if (!candidates.length) return 0;
  const numbers = candidates.map((c) => c.child_id_number);
  const mine: string[] = [];
  for (let i = 0; i < numbers.length; i += LOOKUP_BATCH) {
    const batch = numbers.slice(i, i + LOOKUP_BATCH);
    const known = await rt.registry.residentIdsByIdNumber(batch);
    mine.push(...batch.filter((n) => known.get(n) === resident.id));
  }
  if (!mine.length) return 0;
  await lockRecordSubjects(m, [resident.id]);
  const pools: { year: number; town_code: string; grade: string }[] = await m.query(
    `SELECT DISTINCT year, town_code, grade FROM "${SCHEMA}".school_applications WHERE child_id_number = ANY($1::text[]) AND ${open} ORDER BY year, town_code, grade`,
    [mine],
  );
  for (const p of pools) await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [poolLock(p.year, p.town_code, p.grade)]);
  const linked = await returning<{ application_no: string }>(
    m,
    `UPDATE "${SCHEMA}".school_applications SET child_resident_id = $2 WHERE child_id_number = ANY($1::text[]) AND ${open} RETURNING application_no`,
    [mine, resident.id],
  );
  for (const f of RECORD_FACTS) await refreshSchoolRecordLines(m, f, resident.id);
  return linked.length;
}

/** Applies an officer's verdicts to a locked application and rescores it under its own scheme version. */
export async function judgeLines(m: Q, row: ApplicationRow, verdicts: IndicatorVerdict[]): Promise<{ app: SchoolApplication; changed: boolean }> {
  const def: SchemeDefinition = (await m.query(`SELECT definition FROM "${SCHEMA}".schemes WHERE id = $1`, [row.scheme_id]))[0].definition;
  // a line the officer reopens goes back to what the city's records say
  const reopened = new Set(verdicts.filter((v) => v.status === 'CLAIMED').map((v) => v.code));
  const lines = await verifyFromRecords(m, def, applyVerdicts(def, row.indicators, verdicts), subjectsOf(row), row.submitted_at, reopened);
  const updated = await storeLines(m, row, def, lines);
  const changed = !sameValues(row.indicators, lines);
  if (changed) await notePoolChange(m, row);
  return { app: toApplication(updated), changed };
}

export async function verifySchoolIndicators(rt: SettlementRuntime, caller: Caller | null, applicationNo: string, verdicts: IndicatorVerdict[]): Promise<SchoolApplication> {
  return rt.ds.transaction(async (m) => {
    const row = await lockApplication(m, applicationNo);
    requireRoleIn(caller, row.town_code, 'EDUCATION_OFFICER');
    requireOpen(row);
    return (await judgeLines(m, row, verdicts)).app;
  });
}

/** False documents: the application leaves the pool and the scoring parent is barred for the scheme's barYears. */
export async function disqualifySchoolApplication(rt: SettlementRuntime, caller: Caller | null, applicationNo: string, reason: string): Promise<SchoolApplication> {
  const why = (reason ?? '').trim();
  if (!why || why.length > 500) throw badInput('reason must have 1 to 500 characters', { field: 'reason' });
  return rt.ds.transaction(async (m) => {
    const row = await lockApplication(m, applicationNo);
    requireRoleIn(caller, row.town_code, 'EDUCATION_OFFICER');
    requireOpen(row);
    const def: SchemeDefinition = (await m.query(`SELECT definition FROM "${SCHEMA}".schemes WHERE id = $1`, [row.scheme_id]))[0].definition;
    const today = cityDate(rt.clock.now());
    await barUntil(m, { residentId: row.parent_id, scope: 'SCHOOL', until: addYears(today, def.barYears), applicationNo, reason: why });
    const updated = await returning<ApplicationRow>(
      m,
      `UPDATE "${SCHEMA}".school_applications SET status = 'DISQUALIFIED', disqualified_reason = $2 WHERE application_no = $1 RETURNING ${COLUMNS}`,
      [applicationNo, why],
    );
    await notePoolChange(m, row);
    return toApplication(updated[0]);
  });
}

export async function withdrawSchoolApplication(rt: SettlementRuntime, caller: Caller | null, applicationNo: string): Promise<SchoolApplication> {
  return rt.ds.transaction(async (m) => {
    const row = await lockApplication(m, applicationNo);
    requireActingFor(caller, row.parent_id, row.town_code, [...OFFICIALS]);
    requireOpen(row);
    const updated = await returning<ApplicationRow>(m, `UPDATE "${SCHEMA}".school_applications SET status = 'WITHDRAWN' WHERE application_no = $1 RETURNING ${COLUMNS}`, [applicationNo]);
    await notePoolChange(m, row);
    return toApplication(updated[0]);
  });
}

async function audit(ctx: Ctx, apps: SchoolApplication[], action: string): Promise<void> {
  if (mustAuditRead(ctx.caller) && apps.length) {
    await writeAudit(ctx.rt.ds, SCHEMA, ctx.caller, { at: ctx.rt.clock.now(), action, subjectType: 'SchoolApplication', subjectIds: apps.map((a) => a.applicationNo), fields: ['childName', 'points', 'rank'] });
  }
}

export async function schoolApplication(ctx: Ctx, applicationNo: string): Promise<SchoolApplication | null> {
  const rows: ApplicationRow[] = await ctx.rt.ds.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".school_applications WHERE application_no = $1`, [applicationNo]);
  if (!rows.length) return null;
  const app = toApplication(rows[0]);
  requireFullView(ctx.caller, app.parentId, app.townCode, [...OFFICIALS]);
  await audit(ctx, [app], 'read');
  return app;
}

export async function mySchoolApplications(rt: SettlementRuntime, c: Caller | null): Promise<SchoolApplication[]> {
  const caller = requireCaller(c);
  if (!hasRole(caller, 'RESIDENT')) throw forbidden('mySchoolApplications is for residents');
  const rows: ApplicationRow[] = await rt.ds.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".school_applications WHERE parent_id = $1::uuid ORDER BY submitted_at`, [
    isUuid(caller.sub) ? caller.sub : '00000000-0000-0000-0000-000000000000',
  ]);
  return rows.map(toApplication);
}

/** A resident's applications for Resident.settlement, one query for the whole batch. */
export function applicationsByParentLoader(ctx: Ctx) {
  const rt = ctx.rt;
  return loader<string, SchoolApplication[]>(ctx, 'schoolApplicationsByParent', async (ids) => {
    const valid = ids.filter(isUuid);
    const rows: ApplicationRow[] = valid.length
      ? await rt.ds.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".school_applications WHERE parent_id = ANY($1::uuid[]) ORDER BY submitted_at`, [valid])
      : [];
    const apps = rows.map(toApplication);
    await audit(ctx, apps, 'read');
    return ids.map((id) => apps.filter((a) => a.parentId === id));
  });
}

/** Who may see the child's name in full: the parent, officials of the town, city-wide callers. */
export function seesChild(caller: Caller | null, app: SchoolApplication): boolean {
  if (!caller) return false;
  if (isCityWide(caller)) return true;
  if (hasRole(caller, 'RESIDENT') && caller.sub === app.parentId) return true;
  return hasRole(caller, ...OFFICIALS) && canReachDivision(caller, app.townCode);
}
