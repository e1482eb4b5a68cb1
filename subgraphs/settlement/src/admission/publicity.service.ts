import { requireCaller, requireRoleIn, hasRole, type Caller } from '@citypoints/auth';
import { loader } from '@citypoints/federation';
import { badInput, cityDate, conflict, forbidden, invalidState, isUuid, notFound } from '@citypoints/kit';
import { workingDays } from '../calendar';
import { SCHEMA } from '../context';
import type { IndicatorVerdict } from '../schemes/indicators';
import { admissionRun } from './admission.service';
import { judgeLines, lockApplication, requireOpen, toApplication } from './application.service';
import type { AdmissionRun, SchoolApplication } from './application.type';
import type { Recheck } from './publicity.type';
import type { Ctx, SettlementRuntime } from '../runtime';

/**
 * Opens the publicity (公示) of a pool's published run: from today for the configured number of
 * working days, holidays skipped. Publicising the same run again changes nothing.
 */
export async function publiciseAdmissionRun(rt: SettlementRuntime, caller: Caller | null, runId: string): Promise<AdmissionRun> {
  if (!isUuid(runId)) throw notFound('admission run', runId);
  await rt.ds.transaction(async (m) => {
    const rows: { id: string; town_code: string; status: string; current: boolean; publicised_on: string | null }[] = await m.query(
      `SELECT r.id, r.town_code, j.status, r.publicised_on,
              EXISTS (SELECT 1 FROM "${SCHEMA}".admission_current c WHERE c.run_id = r.id) AS current
       FROM "${SCHEMA}".admission_runs r JOIN "${SCHEMA}".job_runs j ON j.id = r.id WHERE r.id = $1 FOR UPDATE OF r`,
      [runId],
    );
    if (!rows.length) throw notFound('admission run', runId);
    const run = rows[0];
    requireRoleIn(caller, run.town_code, 'EDUCATION_OFFICER');
    if (run.publicised_on) return;
    if (run.status !== 'COMPLETED') throw invalidState(`admission run ${runId} is ${run.status}`);
    if (!run.current) throw invalidState('a later run of this pool replaced this one');
    const days = Number((await m.query(`SELECT value FROM "${SCHEMA}".settings WHERE key = 'school_publicity_working_days'`))[0].value);
    const today = cityDate(rt.clock.now());
    const until = (await workingDays(rt, m)).addWorkingDays(today, days);
    await m.query(`UPDATE "${SCHEMA}".admission_runs SET publicised_on = $2, publicity_until = $3 WHERE id = $1`, [runId, today, until]);
  });
  return (await admissionRun(rt, runId))!;
}

/** During publicity the parent may ask for any claimed line to be checked again, once at a time. */
export async function requestRecheck(rt: SettlementRuntime, c: Caller | null, applicationNo: string, code: string, reason: string): Promise<SchoolApplication> {
  const caller = requireCaller(c);
  const why = (reason ?? '').trim();
  if (!why || why.length > 500) throw badInput('reason must have 1 to 500 characters', { field: 'reason' });
  return rt.ds.transaction(async (m) => {
    const row = await lockApplication(m, applicationNo);
    if (!hasRole(caller, 'RESIDENT') || caller.sub !== row.parent_id) throw forbidden('only the applicant may ask for a re-check');
    requireOpen(row);
    const today = cityDate(rt.clock.now());
    const open = await m.query(
      `SELECT 1 FROM "${SCHEMA}".admission_current c JOIN "${SCHEMA}".admission_runs r ON r.id = c.run_id
       WHERE c.year = $1 AND c.town_code = $2 AND c.grade = $3 AND r.publicised_on <= $4::date AND r.publicity_until >= $4::date`,
      [row.year, row.town_code, row.grade, today],
    );
    if (!open.length) throw invalidState('re-checks are taken while the ranked list is public');
    if (!row.indicators.some((l) => l.code === code)) throw badInput(`${code} was not claimed on this application`, { field: 'code' });
    const pending = await m.query(`SELECT 1 FROM "${SCHEMA}".rechecks WHERE application_no = $1 AND code = $2 AND answered_at IS NULL`, [applicationNo, code]);
    if (pending.length) throw conflict(`a re-check of ${code} is already open`);
    await m.query(`INSERT INTO "${SCHEMA}".rechecks (application_no, code, reason, requested_by, requested_at) VALUES ($1, $2, $3, $4, $5)`, [
      applicationNo,
      code,
      why,
      caller.sub,
      rt.clock.now(),
    ]);
    return toApplication(row);
  });
}

/** A reviewer's answer: the verdict is applied to the line like any verification, and the request closed. */
export async function answerRecheck(rt: SettlementRuntime, caller: Caller | null, applicationNo: string, verdict: IndicatorVerdict): Promise<SchoolApplication> {
  return rt.ds.transaction(async (m) => {
    const row = await lockApplication(m, applicationNo);
    requireRoleIn(caller, row.town_code, 'EDUCATION_OFFICER');
    requireOpen(row);
    const pending: { id: string }[] = await m.query(`SELECT id FROM "${SCHEMA}".rechecks WHERE application_no = $1 AND code = $2 AND answered_at IS NULL FOR UPDATE`, [applicationNo, verdict.code]);
    if (!pending.length) throw invalidState(`no open re-check of ${verdict.code} on ${applicationNo}`);
    const { app, changed } = await judgeLines(m, row, [verdict]);
    const line = app.breakdown.lines.find((l) => l.code === verdict.code)!;
    await m.query(`UPDATE "${SCHEMA}".rechecks SET answered_by = $2, answered_at = $3, answer = $4::jsonb WHERE id = $1`, [
      pending[0].id,
      requireCaller(caller).sub,
      rt.clock.now(),
      JSON.stringify({ status: line.status, value: line.verified, changed }),
    ]);
    return app;
  });
}

export function rechecksLoader(ctx: Ctx) {
  const rt = ctx.rt;
  return loader<string, Recheck[]>(ctx, 'rechecks', async (nos) => {
    const rows: { application_no: string; code: string; reason: string; requested_at: Date; answered_at: Date | null; answer: { status: Recheck['answerStatus']; value: string | null } | null }[] =
      await rt.ds.query(`SELECT application_no, code, reason, requested_at, answered_at, answer FROM "${SCHEMA}".rechecks WHERE application_no = ANY($1::text[]) ORDER BY id`, [nos]);
    return nos.map((no) =>
      rows
        .filter((r) => r.application_no === no)
        .map((r) => ({ code: r.code, reason: r.reason, requestedAt: r.requested_at, answeredAt: r.answered_at, answerStatus: r.answer?.status ?? null, answerValue: r.answer?.value ?? null })),
    );
  });
}
