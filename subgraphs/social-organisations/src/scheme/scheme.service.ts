import { badInput, notFound, type Queryable } from '@citypoints/kit';
import type { Caller } from '@citypoints/auth';
import { publishVersion, schemeTable, versionByNumber, versionHistory, versionInForce, yearUnit, type SchemeVersion } from '@citypoints/schemes';
import { SCHEMA, type SocialOrganisationsRuntime } from '../runtime';
import { schemeDefinition, type GradingScheme, type SchemeDefinition } from './scheme.rules';

/** The grading schemes' versions: numbered per code, in force from a year on. */
export const gradingSchemes = schemeTable({
  schema: SCHEMA,
  table: 'grading_schemes',
  unit: yearUnit(2000, 2100),
  definition: schemeDefinition,
  columns: { effectiveFrom: 'effective_from_year' },
  versionPer: ['code'],
});

function toScheme(v: SchemeVersion<SchemeDefinition, number>): GradingScheme {
  return { id: Number(v.row.id), code: String(v.row.code), version: v.version, effectiveFromYear: v.effectiveFrom, definition: v.definition, publishedAt: v.publishedAt! };
}

/** The scheme in force for a year: the latest version among those effective from that year or before, whatever its code. */
export async function schemeForYear(m: Queryable, year: number): Promise<GradingScheme> {
  const v = await versionInForce(gradingSchemes, m, year);
  if (!v) throw notFound('grading scheme for year', String(year));
  return toScheme(v);
}

/** The version that graded a stored grading. */
export async function schemeByVersion(m: Queryable, code: string, version: number): Promise<GradingScheme> {
  const v = await versionByNumber(gradingSchemes, m, version, { code });
  if (!v) throw notFound('grading scheme', `${code} v${version}`);
  return toScheme(v);
}

export function findScheme(rt: SocialOrganisationsRuntime, year: number): Promise<GradingScheme> {
  return schemeForYear(rt.ds, year);
}

/** Every version of a scheme, newest effective first. */
export async function schemeHistory(rt: SocialOrganisationsRuntime, code: string): Promise<GradingScheme[]> {
  return (await versionHistory(gradingSchemes, rt.ds, { code })).map(toScheme);
}

/**
 * A new version of a scheme, in force from a year on. Gradings already stored keep the version
 * they were computed with; the next regrade of a covered year uses the new one.
 */
export async function publishScheme(rt: SocialOrganisationsRuntime, caller: Caller, code: string, effectiveFromYear: number, definition: unknown): Promise<GradingScheme> {
  if (!/^[A-Z][A-Z0-9-]{1,39}$/.test(code)) throw badInput('code is 2 to 40 capital letters, digits or hyphens', { field: 'code' });
  assertYear(effectiveFromYear, 'effectiveFromYear');
  return toScheme(await publishVersion(gradingSchemes, rt.ds, { effectiveFrom: effectiveFromYear, definition, by: caller.sub, values: { code } }));
}

export function assertYear(year: number, field = 'year'): void {
  if (!Number.isInteger(year) || year < 2000 || year > 2100) throw badInput(`${field} must be a year from 2000 to 2100`, { field });
}
