import type { EntityManager } from 'typeorm';
import type { Caller } from '@citypoints/auth';
import { badInput } from '@citypoints/kit';
import { SCHEMA, type VolunteeringRuntime } from '../runtime';
import { parseRules, type Scheme, type SchemeRules } from './scheme.rules';
import type { VolunteerScheme } from './scheme.type';

export const SCHEME_CODE = 'VOL-TIMEBANK';

/** The scheme version in force at `at`: the latest one whose effective date has come. */
export async function schemeAt(m: Pick<EntityManager, 'query'>, at: Date): Promise<Scheme> {
  const rows: { code: string; version: number; effective_from: Date; rules: unknown }[] = await m.query(
    `SELECT code, version, effective_from, rules FROM "${SCHEMA}".schemes
      WHERE code = $1 AND effective_from <= $2 ORDER BY effective_from DESC, version DESC LIMIT 1`,
    [SCHEME_CODE, at],
  );
  if (!rows.length) throw new Error(`no ${SCHEME_CODE} scheme is in force at ${at.toISOString()}`);
  const r = rows[0];
  return { code: r.code, version: r.version, effectiveFrom: r.effective_from, rules: parseRules(r.rules) };
}

export function toSchemeType(s: Scheme): VolunteerScheme {
  return { code: s.code, version: s.version, effectiveFrom: s.effectiveFrom, ...s.rules };
}

/**
 * A new version takes effect from a time not in the past, so awards already made keep the
 * version that explains them.
 */
export async function publishScheme(rt: VolunteeringRuntime, caller: Caller, effectiveFrom: Date, input: SchemeRules): Promise<Scheme> {
  const rules = parseRules(input);
  if (!(effectiveFrom instanceof Date) || Number.isNaN(effectiveFrom.getTime())) throw badInput('effectiveFrom is not a time', { field: 'effectiveFrom' });
  if (effectiveFrom < rt.clock.now()) throw badInput('a scheme version cannot take effect in the past', { field: 'effectiveFrom' });
  return rt.ds.transaction(async (m) => {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vol-scheme:${SCHEME_CODE}`]);
    const rows: { version: number }[] = await m.query(
      `INSERT INTO "${SCHEMA}".schemes (code, version, effective_from, rules, published_by, published_at)
       SELECT $1, coalesce(max(version), 0) + 1, $2, $3::jsonb, $4, $5 FROM "${SCHEMA}".schemes WHERE code = $1 RETURNING version`,
      [SCHEME_CODE, effectiveFrom, JSON.stringify(rules), caller.sub, rt.clock.now()],
    );
    return { code: SCHEME_CODE, version: rows[0].version, effectiveFrom, rules };
  });
}
