import { parseUscc } from '@citypoints/kit';
import { SCHEMA, type SocialOrganisationsRuntime } from '../runtime';
import { requireOrganisation } from '../grading/grading.service';
import { creditFor } from '../grading/grading.rules';
import { assertYear, schemeByVersion } from '../scheme/scheme.service';
import type { Grade } from '../scheme/scheme.rules';
import type { OrganisationCreditCheck, OrganisationCreditPurpose } from './credit.type';

/**
 * What an office asks before it commissions, funds or buys services from an organisation: the
 * verdict of the organisation's grade (of the given year, else its latest graded year) under the
 * scheme that graded it.
 */
export async function checkOrganisationCredit(rt: SocialOrganisationsRuntime, rawUscc: string, purpose: OrganisationCreditPurpose, year: number | null): Promise<OrganisationCreditCheck> {
  const uscc = parseUscc(rawUscc);
  if (year != null) assertYear(year);
  const { ds } = rt;
  await requireOrganisation(ds, uscc);
  const rows: { year: number; grade: Grade; scheme_code: string; scheme_version: number }[] = await ds.query(
    `SELECT year, grade, scheme_code, scheme_version FROM "${SCHEMA}".gradings WHERE uscc = $1 AND ($2::int IS NULL OR year = $2) ORDER BY year DESC LIMIT 1`,
    [uscc, year],
  );
  if (!rows.length) {
    return { uscc, purpose, year, grade: null, allowed: true, priority: false, reasons: ['not graded'], schemeCode: null, schemeVersion: null };
  }
  const scheme = await schemeByVersion(ds, rows[0].scheme_code, rows[0].scheme_version);
  const verdict = creditFor(scheme.definition, rows[0].grade, purpose);
  return { uscc, purpose, year: rows[0].year, grade: rows[0].grade as OrganisationCreditCheck['grade'], ...verdict, schemeCode: scheme.code, schemeVersion: scheme.version };
}
