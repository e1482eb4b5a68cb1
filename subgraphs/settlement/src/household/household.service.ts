import type { DataSource, EntityManager } from 'typeorm';
import { canReachDivision, hasRole, mustAuditRead, requireCaller, requireRoleIn, writeAudit, type Caller } from '@citypoints/auth';
import { loader } from '@citypoints/federation';
import { badInput, checkIdempotencyKey, cityDate, conflict, invalidState, isUuid, notFound, type Queryable as Q, townOf } from '@citypoints/kit';
import { SCHEMA } from '../context';
import { requireActingFor, requireFullView } from '../access';
import { addYears, barUntil, checkNotBarred } from '../bars';
import { residentFacts } from '../residents/resident.projection';
import { scoreApplication, type Breakdown, type IndicatorState, type SchemeDefinition } from '../schemes/engine';
import { allDecided, applyVerdicts, parseClaims, type IndicatorVerdict } from '../schemes/indicators';
import { declares, lockRecordSubjects, sameLines, verifyFromRecords } from '../schemes/record-lines';
import type { RecordFact } from '@citypoints/events';
import { requireSchemeInForce } from '../schemes/scheme.service';
import { SchemeKind } from '../schemes/scheme.type';
import { requireTownCode } from '../schools/school.service';
import { returning } from '../sql';
import { holdsTalentCard } from '../talent/talent.service';
import { workingDays } from '../calendar';
import { loadProcedure, scheduleStages } from './procedure';
import type { HouseholdApplication, HouseholdStage, OverdueStage, SubmitHouseholdApplicationInput } from './household.type';
import type { Ctx, SettlementRuntime } from '../runtime';

const OFFICIALS = ['HUKOU_OFFICER', 'TOWN_OFFICIAL'] as const;
/** The condition a talent card confers (docs/domain/03-talent-card.md); verified by the card itself. */
const TALENT_CONDITION = 'TALENT_CARD_HOLDER';

interface HouseholdRow {
  application_no: string;
  applicant_id: string;
  town_code: string;
  scheme_id: string;
  status: HouseholdApplication['storedStatus'];
  conditions_claimed: string[];
  conditions_verified: string[];
  conditions_reviewed: boolean;
  indicators: IndicatorState[];
  breakdown: Breakdown;
  eligible: boolean;
  submitted_on: string;
  submitted_at: Date;
}

const COLUMNS = `application_no, applicant_id, town_code, scheme_id, status, conditions_claimed, conditions_verified, conditions_reviewed, indicators, breakdown,
  eligible, to_char(submitted_on, 'YYYY-MM-DD') AS submitted_on, submitted_at`;

const toHousehold = (r: HouseholdRow): HouseholdApplication => ({
  applicationNo: r.application_no,
  applicantId: r.applicant_id,
  townCode: r.town_code,
  storedStatus: r.status,
  conditions: r.conditions_verified,
  conditionsClaimed: r.conditions_claimed,
  breakdown: r.breakdown,
  eligible: r.eligible,
  schemeId: r.scheme_id,
  submittedAt: r.submitted_at,
});

/** Eligible on any verified condition or on verified points reaching the threshold; decided once nothing is left to verify. */
function assess(def: SchemeDefinition, lines: IndicatorState[], verifiedConditions: string[], conditionsDecided: boolean, breakdown: Breakdown) {
  const eligible = verifiedConditions.length > 0 || breakdown.total >= (def.threshold ?? Infinity);
  const status: HouseholdRow['status'] = eligible ? 'ELIGIBLE' : allDecided(lines) && conditionsDecided ? 'INELIGIBLE' : 'SUBMITTED';
  return { eligible, status };
}

export async function submitHouseholdApplication(rt: SettlementRuntime, c: Caller | null, input: SubmitHouseholdApplicationInput): Promise<HouseholdApplication> {
  const caller = requireCaller(c);
  const townCode = requireTownCode(input.townCode);
  const key = input.idempotencyKey ?? null;
  if (key != null) checkIdempotencyKey(key);
  return rt.ds.transaction(async (m) => {
    if (key) {
      // keys are the caller's own: another caller's key never returns their application
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`household-application:${caller.sub}:${key}`]);
      const first: HouseholdRow[] = await m.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".household_applications WHERE idempotency_caller = $1 AND idempotency_key = $2`, [caller.sub, key]);
      if (first.length) {
        requireActingFor(caller, first[0].applicant_id, first[0].town_code, [...OFFICIALS]);
        if (first[0].applicant_id !== input.applicantId) throw conflict('this idempotency key belongs to another application', { field: 'idempotencyKey' });
        return toHousehold(first[0]);
      }
    }
    const applicant = await residentFacts(m, input.applicantId);
    requireActingFor(caller, applicant.id, townCode, [...OFFICIALS]);
    const official = hasRole(caller, 'CITY_ADMIN', ...OFFICIALS) && canReachDivision(caller, townCode);
    if (townOf(applicant.divisionCode) !== townCode && !official) throw badInput(`the applicant lives in ${townOf(applicant.divisionCode)}, not in ${townCode}`, { field: 'townCode' });
    const now = rt.clock.now();
    const today = cityDate(now);
    const scheme = await requireSchemeInForce(m, SchemeKind.HOUSEHOLD_REGISTRATION, Number(today.slice(0, 4)));
    await checkNotBarred(m, applicant.id, 'HUKOU', today);
    const known = new Set(scheme.definition.conditions ?? []);
    const claimed = Array.from(new Set(input.conditions ?? []));
    for (const cond of claimed) if (!known.has(cond)) throw badInput(`${cond} is not an admission condition of ${scheme.code}`, { field: 'conditions', code: cond });
    const open = await m.query(`SELECT application_no FROM "${SCHEMA}".household_applications WHERE applicant_id = $1 AND status = 'SUBMITTED'`, [applicant.id]);
    if (open.length) throw conflict(`application ${open[0].application_no} of this applicant is still open`);
    await lockRecordSubjects(m, [applicant.id]);
    const lines = await verifyFromRecords(m, scheme.definition, parseClaims(scheme.definition, input.indicators), { APPLICANT: applicant.id }, now);
    const verifiedConditions = claimed.includes(TALENT_CONDITION) && (await holdsTalentCard(m, applicant.id)) ? [TALENT_CONDITION] : [];
    const breakdown = scoreApplication(scheme.definition, lines, { birthDate: applicant.birthDate, onDay: today });
    const { eligible, status } = assess(scheme.definition, lines, verifiedConditions, claimed.length === verifiedConditions.length, breakdown);
    const rows: HouseholdRow[] = await m.query(
      `INSERT INTO "${SCHEMA}".household_applications
        (application_no, applicant_id, town_code, scheme_id, status, conditions_claimed, conditions_verified, indicators, breakdown, total, eligible, submitted_on, submitted_at, idempotency_key, idempotency_caller)
       VALUES ('HA' || $12::text || '-' || lpad(nextval('"${SCHEMA}".application_seq')::text, 7, '0'), $1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, $11, $13, $14, $15)
       RETURNING ${COLUMNS}`,
      [applicant.id, townCode, scheme.id, status, claimed, verifiedConditions, JSON.stringify(lines), JSON.stringify(breakdown), breakdown.total, eligible, today, today.slice(0, 4), now, key, key ? caller.sub : null],
    );
    const due = scheduleStages(await loadProcedure(m), today, new Map(), await workingDays(rt, m));
    await m.query(
      `INSERT INTO "${SCHEMA}".household_stages (application_no, seq, stage, office, due_date) SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::date[])`,
      [rows[0].application_no, due.map((d) => d.stage.seq), due.map((d) => d.stage.stage), due.map((d) => d.stage.office), due.map((d) => d.due)],
    );
    return toHousehold(rows[0]);
  });
}

async function lockHousehold(m: Q, applicationNo: string): Promise<HouseholdRow> {
  const rows: HouseholdRow[] = await m.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".household_applications WHERE application_no = $1 FOR UPDATE`, [applicationNo]);
  if (!rows.length) throw notFound('household application', applicationNo);
  return rows[0];
}

const schemeDefinition = async (m: Q, id: string): Promise<SchemeDefinition> => (await m.query(`SELECT definition FROM "${SCHEMA}".schemes WHERE id = $1`, [id]))[0].definition;

export async function verifyHouseholdIndicators(
  rt: SettlementRuntime,
  caller: Caller | null,
  applicationNo: string,
  verdicts: IndicatorVerdict[],
  verifiedConditions: string[] | null | undefined,
): Promise<HouseholdApplication> {
  return rt.ds.transaction(async (m) => {
    const row = await lockHousehold(m, applicationNo);
    requireRoleIn(caller, row.town_code, 'HUKOU_OFFICER');
    if (row.status === 'REJECTED' || row.status === 'WITHDRAWN') throw invalidState(`application ${applicationNo} is ${row.status}`, { status: row.status });
    const def = await schemeDefinition(m, row.scheme_id);
    // a line the officer reopens goes back to what the city's records say
    const reopened = new Set(verdicts.filter((v) => v.status === 'CLAIMED').map((v) => v.code));
    const lines = await verifyFromRecords(m, def, applyVerdicts(def, row.indicators, verdicts), { APPLICANT: row.applicant_id }, row.submitted_at, reopened);
    let conditions = row.conditions_verified;
    let reviewed = row.conditions_reviewed;
    if (verifiedConditions != null) {
      for (const cond of verifiedConditions) if (!row.conditions_claimed.includes(cond)) throw badInput(`${cond} was not claimed on this application`, { field: 'verifiedConditions', code: cond });
      conditions = Array.from(new Set([...verifiedConditions, ...row.conditions_verified.filter((c) => c === TALENT_CONDITION)]));
      reviewed = true;
    }
    const facts = await residentFacts(m, row.applicant_id);
    const breakdown = scoreApplication(def, lines, { birthDate: facts.birthDate, onDay: row.submitted_on });
    const { eligible, status } = assess(def, lines, conditions, reviewed || row.conditions_claimed.length === conditions.length, breakdown);
    const updated = await returning<HouseholdRow>(
      m,
      `UPDATE "${SCHEMA}".household_applications SET indicators = $2::jsonb, breakdown = $3::jsonb, total = $4, eligible = $5, status = $6, conditions_verified = $7, conditions_reviewed = $8
       WHERE application_no = $1 RETURNING ${COLUMNS}`,
      [applicationNo, JSON.stringify(lines), JSON.stringify(breakdown), breakdown.total, eligible, status, conditions, reviewed],
    );
    return toHousehold(updated[0]);
  });
}

/**
 * A record fact of an applicant arrived: their applications still open and without a result,
 * under a scheme that verifies a line from it, take the amounts settlement now holds and are
 * assessed again. Runs in the event's transaction, holding the applicant's record lock.
 */
export async function refreshHouseholdRecordLines(m: Q, fact: Pick<RecordFact, 'source' | 'fact'>, applicantId: string): Promise<number> {
  const rows: (HouseholdRow & { definition: SchemeDefinition })[] = await m.query(
    `SELECT ${COLUMNS}, (SELECT s.definition FROM "${SCHEMA}".schemes s WHERE s.id = a.scheme_id) AS definition
       FROM "${SCHEMA}".household_applications a
      WHERE a.applicant_id = $1::uuid AND a.status NOT IN ('REJECTED', 'WITHDRAWN')
        AND NOT EXISTS (SELECT 1 FROM "${SCHEMA}".household_stages st WHERE st.application_no = a.application_no AND st.stage = 'RESULT' AND st.completed_at IS NOT NULL)
      ORDER BY a.application_no
      FOR UPDATE`,
    [applicantId],
  );
  let changed = 0;
  for (const { definition: def, ...row } of rows) {
    if (!declares(def, fact, 'APPLICANT')) continue;
    const lines = await verifyFromRecords(m, def, row.indicators, { APPLICANT: row.applicant_id }, row.submitted_at);
    if (sameLines(row.indicators, lines)) continue;
    const facts = await residentFacts(m, row.applicant_id);
    const breakdown = scoreApplication(def, lines, { birthDate: facts.birthDate, onDay: row.submitted_on });
    const { eligible, status } = assess(def, lines, row.conditions_verified, row.conditions_reviewed || row.conditions_claimed.length === row.conditions_verified.length, breakdown);
    await m.query(
      `UPDATE "${SCHEMA}".household_applications SET indicators = $2::jsonb, breakdown = $3::jsonb, total = $4, eligible = $5, status = $6 WHERE application_no = $1`,
      [row.application_no, JSON.stringify(lines), JSON.stringify(breakdown), breakdown.total, eligible, status],
    );
    changed++;
  }
  return changed;
}

/** False documents: rejected, and the applicant barred for the scheme's barYears. */
export async function rejectHouseholdApplication(rt: SettlementRuntime, caller: Caller | null, applicationNo: string, reason: string): Promise<HouseholdApplication> {
  const why = (reason ?? '').trim();
  if (!why || why.length > 500) throw badInput('reason must have 1 to 500 characters', { field: 'reason' });
  return rt.ds.transaction(async (m) => {
    const row = await lockHousehold(m, applicationNo);
    requireRoleIn(caller, row.town_code, 'HUKOU_OFFICER');
    if (row.status === 'REJECTED' || row.status === 'WITHDRAWN') throw invalidState(`application ${applicationNo} is ${row.status}`, { status: row.status });
    const def = await schemeDefinition(m, row.scheme_id);
    const today = cityDate(rt.clock.now());
    await barUntil(m, { residentId: row.applicant_id, scope: 'HUKOU', until: addYears(today, def.barYears), applicationNo, reason: why });
    const updated = await returning<HouseholdRow>(m, `UPDATE "${SCHEMA}".household_applications SET status = 'REJECTED', eligible = false, rejected_reason = $2 WHERE application_no = $1 RETURNING ${COLUMNS}`, [
      applicationNo,
      why,
    ]);
    return toHousehold(updated[0]);
  });
}

export async function withdrawHouseholdApplication(rt: SettlementRuntime, caller: Caller | null, applicationNo: string): Promise<HouseholdApplication> {
  return rt.ds.transaction(async (m) => {
    const row = await lockHousehold(m, applicationNo);
    requireActingFor(caller, row.applicant_id, row.town_code, [...OFFICIALS]);
    if (row.status === 'REJECTED' || row.status === 'WITHDRAWN') throw invalidState(`application ${applicationNo} is ${row.status}`, { status: row.status });
    const updated = await returning<HouseholdRow>(m, `UPDATE "${SCHEMA}".household_applications SET status = 'WITHDRAWN', eligible = false WHERE application_no = $1 RETURNING ${COLUMNS}`, [applicationNo]);
    return toHousehold(updated[0]);
  });
}

/** Applications still in procedure: their stages run, are due and may be flagged overdue. */
const IN_PROCEDURE = ['SUBMITTED', 'ELIGIBLE'];

/**
 * Marks a stage done (the stages before it must be done already, strict, or are closed with it)
 * and moves the due dates of the stages after it: each counts from the day its previous stage
 * actually completed.
 */
async function completeStageIn(rt: SettlementRuntime, m: Q, row: HouseholdRow, stage: string, strict: boolean): Promise<void> {
  const applicationNo = row.application_no;
  const stages: { seq: number; stage: string; completed_at: Date | null }[] = await m.query(
    `SELECT seq, stage, completed_at FROM "${SCHEMA}".household_stages WHERE application_no = $1 ORDER BY seq FOR UPDATE`,
    [applicationNo],
  );
  const target = stages.find((s) => s.stage === stage);
  if (!target) throw badInput(`${stage} is not a stage of this procedure`, { field: 'stage' });
  if (target.completed_at) {
    if (strict) throw invalidState(`stage ${stage} is completed already`);
    return;
  }
  const pending = stages.filter((s) => s.seq < target.seq && !s.completed_at);
  if (strict && pending.length) throw invalidState(`stage ${pending[0].stage} comes first`);
  const now = rt.clock.now();
  await m.query(`UPDATE "${SCHEMA}".household_stages SET completed_at = $3 WHERE application_no = $1 AND seq <= $2 AND completed_at IS NULL`, [applicationNo, target.seq, now]);
  const completedOn = new Map<number, string>(stages.filter((s) => s.completed_at || s.seq <= target.seq).map((s) => [s.seq, cityDate(s.completed_at ?? now)]));
  const due = scheduleStages(await loadProcedure(m), row.submitted_on, completedOn, await workingDays(rt, m)).filter((d) => !completedOn.has(d.stage.seq));
  await m.query(
    `UPDATE "${SCHEMA}".household_stages s SET due_date = d.due FROM unnest($2::int[], $3::date[]) AS d(seq, due)
     WHERE s.application_no = $1 AND s.seq = d.seq AND s.due_date IS DISTINCT FROM d.due`,
    [applicationNo, due.map((d) => d.stage.seq), due.map((d) => d.due)],
  );
}

export async function completeHouseholdStage(rt: SettlementRuntime, caller: Caller | null, applicationNo: string, stage: string): Promise<HouseholdApplication> {
  return rt.ds.transaction(async (m) => {
    const row = await lockHousehold(m, applicationNo);
    requireRoleIn(caller, row.town_code, 'HUKOU_OFFICER');
    if (!IN_PROCEDURE.includes(row.status)) throw invalidState(`application ${applicationNo} is ${row.status}, no longer in procedure`, { status: row.status });
    await completeStageIn(rt, m, row, stage, true);
    return toHousehold(row);
  });
}

/**
 * The daily job: flags the current (first unfinished) stage of each application whose due date
 * has passed, once. Running it twice on a day, or again after a crash, flags nothing twice.
 */
export async function flagOverdueStages(ds: DataSource | EntityManager, today: string): Promise<number> {
  const flagged = await returning<{ application_no: string }>(
    ds,
    `UPDATE "${SCHEMA}".household_stages s SET overdue_flagged_on = $1
     FROM (
       SELECT DISTINCT ON (st.application_no) st.application_no, st.seq
       FROM "${SCHEMA}".household_stages st JOIN "${SCHEMA}".household_applications a ON a.application_no = st.application_no
       WHERE st.completed_at IS NULL AND a.status = ANY($2::text[])
       ORDER BY st.application_no, st.seq
     ) cur
     WHERE s.application_no = cur.application_no AND s.seq = cur.seq AND s.due_date < $1::date AND s.overdue_flagged_on IS NULL
     RETURNING s.application_no`,
    [today, IN_PROCEDURE],
  );
  return flagged.length;
}

export async function householdApplication(ctx: Ctx, applicationNo: string): Promise<HouseholdApplication | null> {
  const rt = ctx.rt;
  const rows: HouseholdRow[] = await rt.ds.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".household_applications WHERE application_no = $1`, [applicationNo]);
  if (!rows.length) return null;
  const app = toHousehold(rows[0]);
  requireFullView(ctx.caller, app.applicantId, app.townCode, [...OFFICIALS]);
  if (mustAuditRead(ctx.caller)) await writeAudit(rt.ds, SCHEMA, ctx.caller, { at: rt.clock.now(), action: 'read', subjectType: 'HouseholdApplication', subjectIds: [applicationNo], fields: ['points', 'conditions'] });
  return app;
}

export function householdByApplicantLoader(ctx: Ctx) {
  const rt = ctx.rt;
  return loader<string, HouseholdApplication[]>(ctx, 'householdByApplicant', async (ids) => {
    const valid = ids.filter(isUuid);
    const rows: HouseholdRow[] = valid.length
      ? await rt.ds.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".household_applications WHERE applicant_id = ANY($1::uuid[]) ORDER BY submitted_at`, [valid])
      : [];
    const apps = rows.map(toHousehold);
    if (mustAuditRead(ctx.caller) && apps.length) {
      await writeAudit(rt.ds, SCHEMA, ctx.caller, { at: rt.clock.now(), action: 'read', subjectType: 'HouseholdApplication', subjectIds: apps.map((a) => a.applicationNo), fields: ['points', 'conditions'] });
    }
    return ids.map((id) => apps.filter((a) => a.applicantId === id));
  });
}

export function stagesLoader(ctx: Ctx) {
  const rt = ctx.rt;
  return loader<string, HouseholdStage[]>(ctx, 'householdStages', async (nos) => {
    const rows: { application_no: string; stage: string; office: string; due_date: string; completed_at: Date | null; overdue_flagged_on: string | null }[] = await rt.ds.query(
      `SELECT application_no, stage, office, to_char(due_date, 'YYYY-MM-DD') AS due_date, completed_at, to_char(overdue_flagged_on, 'YYYY-MM-DD') AS overdue_flagged_on
       FROM "${SCHEMA}".household_stages WHERE application_no = ANY($1::text[]) ORDER BY application_no, seq`,
      [nos],
    );
    return nos.map((no) =>
      rows.filter((r) => r.application_no === no).map((r) => ({ stage: r.stage, office: r.office, dueDate: r.due_date, completedAt: r.completed_at, overdueFlaggedOn: r.overdue_flagged_on })),
    );
  });
}

/** The flagged stages of a town's open applications still not done, optionally for one office. */
export async function overdueStages(rt: SettlementRuntime, caller: Caller | null, townCode: string, office?: string | null): Promise<OverdueStage[]> {
  requireTownCode(townCode);
  requireRoleIn(caller, townCode, ...OFFICIALS);
  const rows: { application_no: string; stage: string; office: string; due_date: string; flagged_on: string }[] = await rt.ds.query(
    `SELECT s.application_no, s.stage, s.office, to_char(s.due_date, 'YYYY-MM-DD') AS due_date, to_char(s.overdue_flagged_on, 'YYYY-MM-DD') AS flagged_on
     FROM "${SCHEMA}".household_stages s JOIN "${SCHEMA}".household_applications a ON a.application_no = s.application_no
     WHERE a.town_code = $1 AND s.overdue_flagged_on IS NOT NULL AND s.completed_at IS NULL AND a.status = ANY($3::text[])
       AND ($2::text IS NULL OR s.office = $2)
     ORDER BY s.due_date, s.application_no`,
    [townCode, office ?? null, IN_PROCEDURE],
  );
  return rows.map((r) => ({ applicationNo: r.application_no, stage: r.stage, office: r.office, dueDate: r.due_date, flaggedOn: r.flagged_on }));
}
