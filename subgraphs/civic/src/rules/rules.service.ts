import { z } from 'zod';
import { badInput, cityDate, isIsoDate, type Clock, type Queryable } from '@citypoints/kit';
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

/** The rule set in force on the clock's day: the latest version whose effective day has come. */
export async function currentRules(m: Queryable, clock: Clock): Promise<VersionedRules> {
  return rulesOn(m, cityDate(clock.now()));
}

export async function rulesOn(m: Queryable, day: string): Promise<VersionedRules> {
  const rows: { version: number; effective_from: string; definition: unknown }[] = await m.query(
    `SELECT version, to_char(effective_from, 'YYYY-MM-DD') AS effective_from, definition FROM "${SCHEMA}".rule_sets
      WHERE effective_from <= $1 ORDER BY effective_from DESC, version DESC LIMIT 1`,
    [day],
  );
  if (!rows.length) throw new Error(`no civic rule set is in force on ${day}`);
  return { version: rows[0].version, effectiveFrom: rows[0].effective_from, rules: civicRulesSchema.parse(rows[0].definition) };
}

/** A new version; earlier versions stay and keep explaining what they decided. */
export async function publishRules(m: Queryable, definition: unknown, effectiveFrom: string, by: string): Promise<VersionedRules> {
  if (!isIsoDate(effectiveFrom)) throw badInput('effectiveFrom must be a date (YYYY-MM-DD)', { field: 'effectiveFrom' });
  const parsed = civicRulesSchema.safeParse(definition);
  if (!parsed.success) throw badInput(`the rule set is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { field: 'definition' });
  await m.query(`LOCK TABLE "${SCHEMA}".rule_sets IN SHARE ROW EXCLUSIVE MODE`);
  const rows: { version: number }[] = await m.query(
    `INSERT INTO "${SCHEMA}".rule_sets (version, effective_from, definition, published_by)
     SELECT coalesce(max(version), 0) + 1, $1, $2::jsonb, $3 FROM "${SCHEMA}".rule_sets RETURNING version`,
    [effectiveFrom, JSON.stringify(parsed.data), by],
  );
  return { version: rows[0].version, effectiveFrom, rules: parsed.data };
}

/** The privilege flags a balance earns under the rules (thresholds are data). */
export function privilegesFor(rules: CivicRules, balance: number): string[] {
  return rules.privileges.filter((p) => balance >= p.minBalance).map((p) => p.flag);
}
