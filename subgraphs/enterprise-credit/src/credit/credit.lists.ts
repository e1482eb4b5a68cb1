import { requireCaller, requireRole, type Caller } from '@citypoints/auth';
import { badInput } from '@citypoints/kit';
import { SCHEMA, type EnterpriseCreditRuntime } from '../runtime';
import { recomputeStatuses } from './credit.status';
import type { CreditListPublication } from './credit.type';

/** A list period: a year, a half (2024-H1), a quarter (2024-Q3) or a month (2024-09). */
const PERIOD = /^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4]|-H[12])?$/;

interface PublicationRow {
  id: string;
  period: string;
  published_at: Date;
  red: string[] | null;
  black: string[] | null;
}

const SELECT = `SELECT p.id, p.period, p.published_at,
    (SELECT array_agg(uscc ORDER BY uscc) FROM "${SCHEMA}".credit_list_entries e WHERE e.publication_id = p.id AND e.list = 'RED') AS red,
    (SELECT array_agg(uscc ORDER BY uscc) FROM "${SCHEMA}".credit_list_entries e WHERE e.publication_id = p.id AND e.list = 'BLACK') AS black
  FROM "${SCHEMA}".credit_list_publications p`;

const toPublication = (r: PublicationRow): CreditListPublication => ({
  id: r.id,
  period: r.period,
  publishedAt: r.published_at,
  redUsccs: r.red ?? [],
  blackUsccs: r.black ?? [],
});

function validPeriod(period: string): string {
  const p = (period ?? '').trim();
  if (!PERIOD.test(p)) throw badInput('period is a year, 2024-H1, 2024-Q3 or 2024-09', { field: 'period' });
  return p;
}

/**
 * Writes the red and black lists of a period as they stand (statuses brought up to date first).
 * The snapshot is immutable; publishing the period again returns it unchanged.
 */
export async function publishCreditLists(rt: EnterpriseCreditRuntime, caller: Caller, raw: string): Promise<CreditListPublication> {
  requireRole(caller, 'CITY_ADMIN');
  const period = validPeriod(raw);
  const at = rt.clock.now();
  return rt.ds.transaction(async (m) => {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`credit-lists:${period}`]);
    const existing: PublicationRow[] = await m.query(`${SELECT} WHERE p.period = $1`, [period]);
    if (existing.length) return toPublication(existing[0]);
    await recomputeStatuses(rt, m, null, at);
    const [{ id }]: { id: string }[] = await m.query(
      `INSERT INTO "${SCHEMA}".credit_list_publications (period, published_at, published_by) VALUES ($1, $2, $3) RETURNING id`,
      [period, at, caller.sub],
    );
    await m.query(
      `INSERT INTO "${SCHEMA}".credit_list_entries (publication_id, list, uscc)
       SELECT $1, status, uscc FROM "${SCHEMA}".credit_status WHERE status IN ('RED', 'BLACK')`,
      [id],
    );
    const rows: PublicationRow[] = await m.query(`${SELECT} WHERE p.id = $1`, [id]);
    return toPublication(rows[0]);
  });
}

/** Published lists are public notices: any signed-in caller may read them. */
export async function creditListPublication(rt: EnterpriseCreditRuntime, caller: Caller | null, raw: string): Promise<CreditListPublication | null> {
  requireCaller(caller);
  const rows: PublicationRow[] = await rt.ds.query(`${SELECT} WHERE p.period = $1`, [validPeriod(raw)]);
  return rows.length ? toPublication(rows[0]) : null;
}
