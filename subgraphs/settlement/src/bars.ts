import { DomainError, type Queryable as Q } from '@citypoints/kit';
import { SCHEMA } from './context';
import { APPLICANT_BARRED } from './errors';

export type BarScope = 'SCHOOL' | 'HUKOU';

export function addYears(day: string, years: number): string {
  const [y, m, d] = day.split('-').map(Number);
  const target = new Date(Date.UTC(y + years, m - 1, 1));
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d, last));
  return target.toISOString().slice(0, 10);
}

export async function barUntil(m: Q, b: { residentId: string; scope: BarScope; until: string; applicationNo: string; reason: string }): Promise<void> {
  await m.query(`INSERT INTO "${SCHEMA}".bars (resident_id, scope, barred_until, application_no, reason) VALUES ($1, $2, $3, $4, $5)`, [
    b.residentId,
    b.scope,
    b.until,
    b.applicationNo,
    b.reason,
  ]);
}

/** False documents bar a person from applying again until the bar's last day has passed. */
export async function checkNotBarred(m: Q, residentId: string, scope: BarScope, today: string): Promise<void> {
  const rows: { until: string }[] = await m.query(
    `SELECT to_char(max(barred_until), 'YYYY-MM-DD') AS until FROM "${SCHEMA}".bars WHERE resident_id = $1 AND scope = $2 AND barred_until > $3`,
    [residentId, scope, today],
  );
  if (rows[0]?.until) throw new DomainError(APPLICANT_BARRED, `barred from ${scope === 'SCHOOL' ? 'school' : 'household'} applications until ${rows[0].until} for false documents`, { until: rows[0].until });
}
