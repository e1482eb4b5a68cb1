import type { EntityManager } from 'typeorm';
import { hasRole, requireRole, type Caller } from '@citypoints/auth';
import { CalendarMissingError, loadCalendar, type WorkingDayCalendar } from '@citypoints/calendar';
import { badInput, cityDate, divisionLevelOf, forbidden, HOUR, invalidState, isUuid, isWithinDivision, notFound, offsetFromCursor, offsetPage, pageSize } from '@citypoints/kit';
import { SCHEMA, type EnterpriseCreditRuntime } from '../runtime';
import { alertScope } from '../enterprises/access';
import { guidanceOf, reasonsOf } from '../labour/labour.rules';
import { labourRiskScheme } from '../labour/labour.scheme';
import type { RisesSqlContext } from '../labour/labour.scoring';
import type { AlertStatus, RiskAlert } from './alert.type';

export interface AlertRow {
  id: string;
  uscc: string;
  division_code: string;
  level: string;
  previous_level: string;
  period: string;
  score: number;
  scheme_version: number;
  band_ids: number[];
  override_ids: number[];
  status: string;
  raised_at: Date;
  acknowledged_at: Date | null;
  resolved_at: Date | null;
  outcome: string | null;
  escalated_at: Date | null;
  kind: string;
  reports_stopped_since: string | null;
}

const COLUMNS = `id, uscc, division_code, level, previous_level, period, score, scheme_version, band_ids, override_ids, status, raised_at,
  acknowledged_at, resolved_at, outcome, escalated_at, kind, reports_stopped_since`;

export async function toAlert(rt: EnterpriseCreditRuntime, r: AlertRow): Promise<RiskAlert> {
  const scheme = await labourRiskScheme(rt.ds, r.scheme_version, rt.labourSchemes);
  return {
    id: r.id,
    uscc: r.uscc,
    level: r.level as RiskAlert['level'],
    previousLevel: r.previous_level as RiskAlert['previousLevel'],
    period: r.period,
    score: r.score,
    reasons: [...(r.reports_stopped_since ? [`reports stopped since ${r.reports_stopped_since}`] : []), ...reasonsOf(scheme, r.band_ids, r.override_ids)],
    kind: r.kind as RiskAlert['kind'],
    reportsStoppedSince: r.reports_stopped_since,
    guidance: guidanceOf(scheme, r.level),
    status: r.status as AlertStatus,
    raisedAt: r.raised_at,
    acknowledgedAt: r.acknowledged_at,
    resolvedAt: r.resolved_at,
    outcome: r.outcome,
    escalatedAt: r.escalated_at,
    divisionCode: r.division_code,
    schemeVersion: r.scheme_version,
  };
}

export async function alertById(m: Pick<EntityManager, 'query'>, id: string, lock = false): Promise<AlertRow | null> {
  if (!isUuid(id)) return null;
  const rows: AlertRow[] = await m.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".risk_alerts WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] ?? null;
}

/** A regulator's inbox: the alerts of their division, newest first; the city sees every town's. */
export async function riskAlerts(rt: EnterpriseCreditRuntime, caller: Caller | null, o: { status?: AlertStatus | null; divisionCode?: string | null; first?: number | null; after?: string | null }) {
  const scope = alertScope(caller);
  const size = pageSize(o.first);
  const offset = offsetFromCursor(o.after);
  let division = scope ?? '';
  if (o.divisionCode) {
    if (!divisionLevelOf(o.divisionCode)) throw badInput('divisionCode is a 6, 9 or 12-digit division code', { field: 'divisionCode' });
    if (scope && !isWithinDivision(o.divisionCode, scope)) throw forbidden(`division ${o.divisionCode} is outside the caller's division ${scope}`);
    division = o.divisionCode;
  }
  const where = `division_code LIKE $1 || '%' AND ($2::text IS NULL OR status = $2)`;
  const [rows, [{ n }]]: [AlertRow[], { n: number }[]] = await Promise.all([
    rt.ds.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".risk_alerts WHERE ${where} ORDER BY raised_at DESC, id LIMIT $3 OFFSET $4`, [division, o.status ?? null, size, offset]),
    rt.ds.query(`SELECT count(*)::int AS n FROM "${SCHEMA}".risk_alerts WHERE ${where}`, [division, o.status ?? null]),
  ]);
  return offsetPage(await Promise.all(rows.map((r) => toAlert(rt, r))), offset, size, n);
}

function assertHandles(caller: Caller, alert: AlertRow): void {
  requireRole(caller, 'REGULATOR');
  if (hasRole(caller, 'CITY_ADMIN')) return;
  // an escalated alert stays in its town's inbox and reaches the city's regulators by prefix too
  if (!isWithinDivision(alert.division_code, caller.division)) throw forbidden(`the alert belongs to division ${alert.division_code}`);
}

export async function acknowledgeRiskAlert(rt: EnterpriseCreditRuntime, caller: Caller, id: string, note: string | null | undefined): Promise<RiskAlert> {
  return rt.ds.transaction(async (m) => {
    const a = await alertById(m, id, true);
    if (!a) throw notFound('risk alert', id);
    assertHandles(caller, a);
    if (a.status !== 'OPEN' && a.status !== 'ESCALATED') throw invalidState(`an ${a.status} alert cannot be acknowledged`, { status: a.status });
    const rows: AlertRow[] = await m.query(
      `WITH u AS (UPDATE "${SCHEMA}".risk_alerts SET status = 'ACKNOWLEDGED', acknowledged_at = $2, acknowledged_by = $3, acknowledge_note = $4 WHERE id = $1 RETURNING *) SELECT ${COLUMNS} FROM u`,
      [a.id, rt.clock.now(), caller.sub, note?.trim() || null],
    );
    return toAlert(rt, rows[0]);
  });
}

export async function resolveRiskAlert(rt: EnterpriseCreditRuntime, caller: Caller, id: string, outcome: string): Promise<RiskAlert> {
  const text = (outcome ?? '').trim();
  if (!text || text.length > 2000) throw badInput('outcome must have 1 to 2000 characters', { field: 'outcome' });
  return rt.ds.transaction(async (m) => {
    const a = await alertById(m, id, true);
    if (!a) throw notFound('risk alert', id);
    assertHandles(caller, a);
    if (a.status === 'RESOLVED') throw invalidState('the alert is resolved already', { status: a.status });
    const at = rt.clock.now();
    const rows: AlertRow[] = await m.query(
      `WITH u AS (UPDATE "${SCHEMA}".risk_alerts SET status = 'RESOLVED', resolved_at = $2, resolved_by = $3, outcome = $4,
         acknowledged_at = coalesce(acknowledged_at, $2), acknowledged_by = coalesce(acknowledged_by, $3) WHERE id = $1 RETURNING *) SELECT ${COLUMNS} FROM u`,
      [a.id, at, caller.sub, text],
    );
    return toAlert(rt, rows[0]);
  });
}

/**
 * When an open alert of this level is due to escalate: hours for some levels, working days for
 * others — counted on the city's working-day calendar (holidays off, adjusted working days on);
 * a year the calendar does not hold throws, it is never counted as a plain Monday–Friday year.
 */
export function escalationDue(raisedAt: Date, rule: { escalateAfterHours: number | null; escalateAfterWorkingDays: number | null }, calendar: Pick<WorkingDayCalendar, 'addWorkingDays'>): Date | null {
  if (rule.escalateAfterHours != null) return new Date(raisedAt.getTime() + rule.escalateAfterHours * HOUR);
  if (rule.escalateAfterWorkingDays != null) {
    const day = cityDate(raisedAt);
    const dueDay = calendar.addWorkingDays(day, rule.escalateAfterWorkingDays);
    const shift = new Date(dueDay + 'T00:00:00Z').getTime() - new Date(day + 'T00:00:00Z').getTime();
    return new Date(raisedAt.getTime() + shift);
  }
  return null;
}

/** The working-day calendar as this subgraph's tables hold it; a missing year is counted and logged. */
export function workingDays(rt: EnterpriseCreditRuntime, m: Pick<EntityManager, 'query'>): Promise<WorkingDayCalendar> {
  return loadCalendar(m, SCHEMA, {
    onMissingYear: (year) => {
      rt.metrics.calendarMissing[year] = (rt.metrics.calendarMissing[year] ?? 0) + 1;
      rt.log(`enterprise-credit: escalating an alert reached ${year}, which has no working-day calendar`);
    },
  });
}

export const CITY_CODE = '441900';

/**
 * Open alerts past their time go to the city; returns how many were escalated. An alert whose
 * due day falls in a year without a calendar stays open and the run fails loudly once the others
 * are escalated.
 */
export async function escalateOverdueAlerts(rt: EnterpriseCreditRuntime): Promise<number> {
  const at = rt.clock.now();
  const missing: CalendarMissingError[] = [];
  const escalated = await rt.ds.transaction(async (m) => {
    const open: AlertRow[] = await m.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".risk_alerts WHERE status = 'OPEN' ORDER BY raised_at FOR UPDATE SKIP LOCKED`);
    if (!open.length) return 0;
    const calendar = await workingDays(rt, m);
    const due: string[] = [];
    for (const a of open) {
      const scheme = await labourRiskScheme(m, a.scheme_version, rt.labourSchemes);
      const rule = scheme.levels.find((l) => l.level === a.level);
      let when: Date | null = null;
      try {
        when = rule ? escalationDue(a.raised_at, rule, calendar) : null;
      } catch (e) {
        if (!(e instanceof CalendarMissingError)) throw e;
        missing.push(e);
      }
      if (when && when <= at) due.push(a.id);
    }
    if (due.length) {
      await m.query(`UPDATE "${SCHEMA}".risk_alerts SET status = 'ESCALATED', escalated_at = $2, escalated_to = $3 WHERE id = ANY($1::uuid[])`, [due, at, CITY_CODE]);
    }
    return due.length;
  });
  if (missing.length) throw missing[0];
  return escalated;
}

/**
 * The alerts of a scoring chunk's rises, written by the chunk's own statement and routed to the
 * enterprise's town: one per (enterprise, level, month) for a rise, one per (enterprise, first
 * month without a report) for reports that stopped — unique indexes, so re-runs and retries add
 * none — and one delivery row for each webhook registered for the town or above.
 *
 * `rises` names a relation of the statement with the columns of `RisesRelation`; `o` holds SQL
 * expressions (the statement's parameters) for the month, the moment and the run. Returns
 * data-modifying CTEs to place after `rises`, and an expression counting the alerts that are new.
 */
export function raiseAlertsSql(rises: string, o: RisesSqlContext): { ctes: string; alerts: string } {
  return {
    ctes: `risen AS (
       INSERT INTO "${SCHEMA}".risk_alerts (kind, uscc, division_code, level, previous_level, period, score, scheme_version, band_ids, override_ids, raised_at, run_id)
       SELECT 'LEVEL_RISE', uscc, town, level, previous_level, ${o.period}, score, scheme_version, coalesce(band_ids, '{}'), coalesce(override_ids, '{}'), ${o.at}, ${o.runId}
       FROM ${rises} WHERE kind = 'LEVEL_RISE'
       ON CONFLICT (uscc, level, period) WHERE kind = 'LEVEL_RISE' DO NOTHING
       RETURNING id, division_code),
     stopped AS (
       INSERT INTO "${SCHEMA}".risk_alerts (kind, reports_stopped_since, uscc, division_code, level, previous_level, period, score, scheme_version, band_ids, override_ids, raised_at, run_id)
       SELECT 'REPORTS_STOPPED', reports_stopped_since, uscc, town, level, previous_level, ${o.period}, score, scheme_version, coalesce(band_ids, '{}'), coalesce(override_ids, '{}'), ${o.at}, ${o.runId}
       FROM ${rises} WHERE kind = 'REPORTS_STOPPED'
       ON CONFLICT (uscc, reports_stopped_since) WHERE kind = 'REPORTS_STOPPED' DO NOTHING
       RETURNING id, division_code),
     raised AS (SELECT * FROM risen UNION ALL SELECT * FROM stopped),
     deliveries AS (
       INSERT INTO "${SCHEMA}".webhook_deliveries (alert_id, webhook_id, created_at)
       SELECT a.id, w.id, ${o.at} FROM raised a JOIN "${SCHEMA}".alert_webhooks w ON a.division_code LIKE w.division_code || '%'
       RETURNING 1)`,
    // a data-modifying CTE runs to completion whether or not the statement reads it: the deliveries too
    alerts: `(SELECT count(*) FROM raised)`,
  };
}
