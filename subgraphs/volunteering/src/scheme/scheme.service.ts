import type { Caller } from '@citypoints/auth';
import { badInput, type Queryable } from '@citypoints/kit';
import { publishVersion, schemeTable, versionHistory, versionInForce, timestampUnit, type SchemeVersion } from '@citypoints/schemes';
import { SCHEMA, type VolunteeringRuntime } from '../runtime';
import { schemeRulesDefinition, type Scheme, type SchemeRules } from './scheme.rules';
import type { VolunteerScheme } from './scheme.type';

export const SCHEME_CODE = 'VOL-TIMEBANK';

/** The time bank's rule versions: numbered per code, in force from a time on. */
export const volunteerSchemes = schemeTable({
  schema: SCHEMA,
  table: 'schemes',
  unit: timestampUnit,
  definition: schemeRulesDefinition,
  columns: { definition: 'rules' },
  versionPer: ['code'],
  invalid: (issues) => badInput(issues.map((i) => i.message).join('; '), { field: 'rules' }),
});

const toScheme = (v: SchemeVersion<SchemeRules, Date>): Scheme => ({ code: String(v.row.code), version: v.version, effectiveFrom: v.effectiveFrom, rules: v.definition });

/** The scheme version in force at `at`: the latest one whose effective time has come. */
export async function schemeAt(m: Queryable, at: Date): Promise<Scheme> {
  const v = await versionInForce(volunteerSchemes, m, at, { code: SCHEME_CODE });
  if (!v) throw new Error(`no ${SCHEME_CODE} scheme is in force at ${at.toISOString()}`);
  return toScheme(v);
}

/** Every version, newest effective first. */
export async function schemeHistory(rt: VolunteeringRuntime): Promise<Scheme[]> {
  return (await versionHistory(volunteerSchemes, rt.ds, { code: SCHEME_CODE })).map(toScheme);
}

export function toSchemeType(s: Scheme): VolunteerScheme {
  return { code: s.code, version: s.version, effectiveFrom: s.effectiveFrom, ...s.rules };
}

/**
 * A new version takes effect from a time not in the past, so awards already made keep the
 * version that explains them.
 */
export async function publishScheme(rt: VolunteeringRuntime, caller: Caller, effectiveFrom: Date, input: SchemeRules): Promise<Scheme> {
  const now = rt.clock.now();
  return toScheme(await publishVersion(volunteerSchemes, rt.ds, { effectiveFrom, definition: input, by: caller.sub, values: { code: SCHEME_CODE }, clock: rt.clock, notBefore: now }));
}
