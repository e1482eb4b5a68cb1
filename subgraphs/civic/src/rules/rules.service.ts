import { z } from 'zod';
import type { EntityManager } from 'typeorm';
import { badInput, cityDate, type Clock, type Queryable } from '@citypoints/kit';
import { dateUnit, publishVersion, schemeTable, versionHistory, versionInForce, type SchemeVersion } from '@citypoints/schemes';
import { SCHEMA } from '../context';

const bounds = z.object({ passbook: z.enum(['CIVIC', 'RED', 'GREEN']), min: z.number().int(), max: z.number().int() }).refine((b) => b.min <= b.max, 'min above max');

export const civicRulesSchema = z.object({
  categories: z.record(z.string().regex(/^[A-Z_]{2,40}$/), bounds),
  publicityDays: z.object({ default: z.number().int().min(0), min: z.number().int().min(0), max: z.number().int().max(60) }),
  starsPerTown: z.number().int().min(1).max(100),
  bulletinTopResidents: z.number().int().min(1).max(50),
  privileges: z.array(z.object({ flag: z.string().regex(/^[A-Z_]{2,60}$/), minBalance: z.number().int().min(0) })),
  green: z.object({ pricePerKg: z.record(z.string().regex(/^[A-Z_]{2,40}$/), z.number().positive()), inspectionMax: z.number().int().min(0).max(100) }),
});

export type CivicRules = z.infer<typeof civicRulesSchema>;
export interface VersionedRules {
  version: number;
  effectiveFrom: string;
  rules: CivicRules;
}

/**
 * The civic rule sets as a versioned scheme (libs/schemes): one version sequence, effective from
 * a date; the version in force on a day is the latest effective by then.
 */
export const ruleSets = schemeTable({
  schema: SCHEMA,
  table: 'rule_sets',
  unit: dateUnit,
  definition: civicRulesSchema,
  invalid: (issues) => badInput(`the rule set is not valid: ${issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { field: 'definition' }),
});

const toVersioned = (v: SchemeVersion<CivicRules, string>): VersionedRules => ({ version: v.version, effectiveFrom: v.effectiveFrom, rules: v.definition });

/** The rule set in force on the clock's day: the latest version whose effective day has come. */
export async function currentRules(m: Queryable, clock: Clock): Promise<VersionedRules> {
  return rulesOn(m, cityDate(clock.now()));
}

export async function rulesOn(m: Queryable, day: string): Promise<VersionedRules> {
  const v = await versionInForce(ruleSets, m, day);
  if (!v) throw new Error(`no civic rule set is in force on ${day}`);
  return toVersioned(v);
}

/** Every published version, newest effective first. */
export async function rulesHistory(m: Queryable): Promise<VersionedRules[]> {
  return (await versionHistory(ruleSets, m)).map(toVersioned);
}

/** A new version; earlier versions stay and keep explaining what they decided. */
export async function publishRules(m: EntityManager, definition: unknown, effectiveFrom: string, by: string, clock: Clock): Promise<VersionedRules> {
  return toVersioned(await publishVersion(ruleSets, m, { effectiveFrom, definition, by, clock }));
}

/** The privilege flags a balance earns under the rules (thresholds are data). */
export function privilegesFor(rules: CivicRules, balance: number): string[] {
  return rules.privileges.filter((p) => balance >= p.minBalance).map((p) => p.flag);
}
