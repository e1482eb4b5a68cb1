import type { EntityManager } from 'typeorm';
import { hasRole, requireRole, type Caller } from '@citypoints/auth';
import { addWorkingDays, badInput, cityDate, divisionLevelOf, forbidden, HOUR, invalidState, isWithinDivision, notFound, offsetFromCursor, offsetPage, pageSize } from '@citypoints/kit';
import { db, now, SCHEMA } from '../context';
import { alertScope } from '../enterprises/access';
import { guidanceOf, reasonsOf } from '../labour/labour.rules';
import { labourRiskScheme } from '../labour/labour.scheme';
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
}

const COLUMNS = `id, uscc, division_code, level, previous_level, period, score, scheme_version, band_ids, override_ids, status, raised_at,
  acknowledged_at, resolved_at, outcome, escalated_at`;

export async function toAlert(r: AlertRow): Promise<RiskAlert> {
  const scheme = await labourRiskScheme(db(), r.scheme_version);
  return {
    id: r.id,
    uscc: r.uscc,
    level: r.level as RiskAlert['level'],
    previousLevel: r.previous_level as RiskAlert['previousLevel'],
    period: r.period,
    score: r.score,
    reasons: reasonsOf(scheme, r.band_ids, r.override_ids),
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
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  const rows: AlertRow[] = await m.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".risk_alerts WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] ?? null;
}

/** A regulator's inbox: the alerts of their division, newest first; the city sees every town's. */
export async function riskAlerts(caller: Caller | null, o: { status?: AlertStatus | null; divisionCode?: string | null; first?: number | null; after?: string | null }) {
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
    db().query(`SELECT ${COLUMNS} FROM "${SCHEMA}".risk_alerts WHERE ${where} ORDER BY raised_at DESC, id LIMIT $3 OFFSET $4`, [division, o.status ?? null, size, offset]),
    db().query(`SELECT count(*)::int AS n FROM "${SCHEMA}".risk_alerts WHERE ${where}`, [division, o.status ?? null]),
  ]);
  return offsetPage(await Promise.all(rows.map(toAlert)), offset, size, n);
}

function assertHandles(caller: Caller, alert: AlertRow): void {
  requireRole(caller, 'REGULATOR');
  if (hasRole(caller, 'CITY_ADMIN')) return;
  // an escalated alert stays in its town's inbox and reaches the city's regulators by prefix too
  if (!isWithinDivision(alert.division_code, caller.division)) throw forbidden(`the alert belongs to division ${alert.division_code}`);
}

export async function acknowledgeRiskAlert(caller: Caller, id: string, note: string | null | undefined): Promise<RiskAlert> {
  return db().transaction(async (m) => {
    const a = await alertById(m, id, true);
    if (!a) throw notFound('risk alert', id);
    assertHandles(caller, a);
    if (a.status !== 'OPEN' && a.status !== 'ESCALATED') throw invalidState(`an ${a.status} alert cannot be acknowledged`, { status: a.status });
    const rows: AlertRow[] = await m.query(
      `WITH u AS (UPDATE "${SCHEMA}".risk_alerts SET status = 'ACKNOWLEDGED', acknowledged_at = $2, acknowledged_by = $3, acknowledge_note = $4 WHERE id = $1 RETURNING *) SELECT ${COLUMNS} FROM u`,
      [a.id, now(), caller.sub, note?.trim() || null],
    );
    return toAlert(rows[0]);
  });
}

export async function resolveRiskAlert(caller: Caller, id: string, outcome: string): Promise<RiskAlert> {
  const text = (outcome ?? '').trim();
  if (!text || text.length > 2000) throw badInput('outcome must have 1 to 2000 characters', { field: 'outcome' });
  return db().transaction(async (m) => {
    const a = await alertById(m, id, true);
    if (!a) throw notFound('risk alert', id);
    assertHandles(caller, a);
    if (a.status === 'RESOLVED') throw invalidState('the alert is resolved already', { status: a.status });
    const at = now();
    const rows: AlertRow[] = await m.query(
      `WITH u AS (UPDATE "${SCHEMA}".risk_alerts SET status = 'RESOLVED', resolved_at = $2, resolved_by = $3, outcome = $4,
         acknowledged_at = coalesce(acknowledged_at, $2), acknowledged_by = coalesce(acknowledged_by, $3) WHERE id = $1 RETURNING *) SELECT ${COLUMNS} FROM u`,
      [a.id, at, caller.sub, text],
    );
    return toAlert(rows[0]);
  });
}

/** When an open alert of this level is due to escalate: hours for some levels, working days for others. */
export function escalationDue(raisedAt: Date, rule: { escalateAfterHours: number | null; escalateAfterWorkingDays: number | null }): Date | null {
  if (rule.escalateAfterHours != null) return new Date(raisedAt.getTime() + rule.escalateAfterHours * HOUR);
  if (rule.escalateAfterWorkingDays != null) {
    const day = cityDate(raisedAt);
    const dueDay = addWorkingDays(day, rule.escalateAfterWorkingDays);
    const shift = new Date(dueDay + 'T00:00:00Z').getTime() - new Date(day + 'T00:00:00Z').getTime();
    return new Date(raisedAt.getTime() + shift);
  }
  return null;
}

export const CITY_CODE = '441900';

/** Open alerts past their time go to the city; returns how many were escalated. */
export async function escalateOverdueAlerts(): Promise<number> {
  const at = now();
  return db().transaction(async (m) => {
    const open: AlertRow[] = await m.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".risk_alerts WHERE status = 'OPEN' ORDER BY raised_at FOR UPDATE SKIP LOCKED`);
    const due: string[] = [];
    for (const a of open) {
      const scheme = await labourRiskScheme(m, a.scheme_version);
      const rule = scheme.levels.find((l) => l.level === a.level);
      const when = rule ? escalationDue(a.raised_at, rule) : null;
      if (when && when <= at) due.push(a.id);
    }
    if (due.length) {
      await m.query(`UPDATE "${SCHEMA}".risk_alerts SET status = 'ESCALATED', escalated_at = $2, escalated_to = $3 WHERE id = ANY($1::uuid[])`, [due, at, CITY_CODE]);
    }
    return due.length;
  });
}
