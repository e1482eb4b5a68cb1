import type { EntityManager } from 'typeorm';
import { badInput, notFound } from '@citypoints/kit';
import type { Caller } from '@citypoints/auth';
import { SCHEMA, type SocialOrganisationsRuntime } from '../runtime';
import { schemeDefinition, type GradingScheme } from './scheme.rules';

interface SchemeRow {
  id: number;
  code: string;
  version: number;
  effective_from_year: number;
  definition: unknown;
  published_at: Date;
}

const COLUMNS = 'id, code, version, effective_from_year, definition, published_at';

function toScheme(r: SchemeRow): GradingScheme {
  const parsed = schemeDefinition.safeParse(r.definition);
  if (!parsed.success) throw new Error(`grading scheme ${r.code} v${r.version} is malformed: ${parsed.error.message}`);
  return { id: r.id, code: r.code, version: r.version, effectiveFromYear: r.effective_from_year, definition: parsed.data, publishedAt: r.published_at };
}

type Queryable = Pick<EntityManager, 'query'>;

/** The scheme in force for a year: the latest version among those effective from that year or before. */
export async function schemeForYear(m: Queryable, year: number): Promise<GradingScheme> {
  const rows: SchemeRow[] = await m.query(
    `SELECT ${COLUMNS} FROM "${SCHEMA}".grading_schemes WHERE effective_from_year <= $1 ORDER BY effective_from_year DESC, version DESC LIMIT 1`,
    [year],
  );
  if (!rows.length) throw notFound('grading scheme for year', String(year));
  return toScheme(rows[0]);
}

export async function schemeById(m: Queryable, id: number): Promise<GradingScheme> {
  const rows: SchemeRow[] = await m.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".grading_schemes WHERE id = $1`, [id]);
  if (!rows.length) throw notFound('grading scheme', String(id));
  return toScheme(rows[0]);
}

export function findScheme(rt: SocialOrganisationsRuntime, year: number): Promise<GradingScheme> {
  return schemeForYear(rt.ds, year);
}

/**
 * A new version of a scheme, in force from a year on. Gradings already stored keep the version
 * they were computed with; the next regrade of a covered year uses the new one.
 */
export async function publishScheme(rt: SocialOrganisationsRuntime, caller: Caller, code: string, effectiveFromYear: number, definition: unknown): Promise<GradingScheme> {
  if (!/^[A-Z][A-Z0-9-]{1,39}$/.test(code)) throw badInput('code is 2 to 40 capital letters, digits or hyphens', { field: 'code' });
  assertYear(effectiveFromYear, 'effectiveFromYear');
  const parsed = schemeDefinition.safeParse(definition);
  if (!parsed.success) throw badInput(`definition: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`, { field: 'definition' });
  return rt.ds.transaction(async (m) => {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`so-scheme:${code}`]);
    const rows: SchemeRow[] = await m.query(
      `INSERT INTO "${SCHEMA}".grading_schemes (code, version, effective_from_year, definition, published_by)
       SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3::jsonb, $4 FROM "${SCHEMA}".grading_schemes WHERE code = $1
       RETURNING ${COLUMNS}`,
      [code, effectiveFromYear, JSON.stringify(parsed.data), caller.sub],
    );
    return toScheme(rows[0]);
  });
}

export function assertYear(year: number, field = 'year'): void {
  if (!Number.isInteger(year) || year < 2000 || year > 2100) throw badInput(`${field} must be a year from 2000 to 2100`, { field });
}
