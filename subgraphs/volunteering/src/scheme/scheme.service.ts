import type { EntityManager } from 'typeorm';
import { db, SCHEMA } from '../context';
import { parseRules, type Scheme } from './scheme.rules';

export const SCHEME_CODE = 'VOL-TIMEBANK';

/** The scheme version in force at `at`: the latest one whose effective date has come. */
export async function schemeAt(at: Date, m: Pick<EntityManager, 'query'> = db()): Promise<Scheme> {
  const rows: { code: string; version: number; effective_from: Date; rules: unknown }[] = await m.query(
    `SELECT code, version, effective_from, rules FROM "${SCHEMA}".schemes
      WHERE code = $1 AND effective_from <= $2 ORDER BY effective_from DESC, version DESC LIMIT 1`,
    [SCHEME_CODE, at],
  );
  if (!rows.length) throw new Error(`no ${SCHEME_CODE} scheme is in force at ${at.toISOString()}`);
  const r = rows[0];
  return { code: r.code, version: r.version, effectiveFrom: r.effective_from, rules: parseRules(r.rules) };
}
