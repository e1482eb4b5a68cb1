import { z } from 'zod';
import { badInput, type Queryable } from '@citypoints/kit';
import { dateUnit, schemeTable, versionInForce } from '@citypoints/schemes';
import { SCHEMA } from '../runtime';

export const CREDIT_KINDS = ['PENALTY', 'SEVERE_PENALTY', 'DISHONEST_DEBTOR', 'WAGE_ARREARS_BLACKLIST', 'A_TAXPAYER', 'HONOUR'] as const;
export type CreditKind = (typeof CREDIT_KINDS)[number];
export const PENALTY_AREAS = ['GENERAL', 'WORK_SAFETY', 'FIRE_SAFETY', 'SPECIAL_EQUIPMENT'] as const;
export type PenaltyAreaName = (typeof PENALTY_AREAS)[number];
export const STATUSES = ['RED', 'NORMAL', 'WATCH', 'BLACK'] as const;
export type Status = (typeof STATUSES)[number];

const KindRule = z.object({
  negative: z.boolean(),
  minMonths: z.number().int().min(0).optional(),
  maxMonths: z.number().int().min(0).optional(),
  defaultMonths: z.number().int().min(1).optional(),
  openEnded: z.boolean().optional(),
  repairAfterMonths: z.number().int().min(0).optional(),
  /** kept from versions that raised minimums by free-text category; `areaMinMonths` replaces it */
  categoryMinMonths: z.record(z.number().int().min(0)).optional(),
  /** a kind that carries an area (penalties): the minimum months of publicity and before repair, per area */
  areaMinMonths: z.record(z.enum(PENALTY_AREAS), z.number().int().min(0)).optional(),
  earlyRemovalRequires: z.array(z.enum(['wagesPaid', 'pledgeSigned'])).optional(),
});
export type KindRule = z.infer<typeof KindRule>;

const Measures = z.object({ restrictions: z.array(z.string()), incentives: z.array(z.string()), notes: z.array(z.string()) });

export const CreditSchemeDefinition = z.object({
  kinds: z.record(z.enum(CREDIT_KINDS), KindRule),
  /** the departments whose feeds record each kind */
  recorders: z.record(z.enum(CREDIT_KINDS), z.array(z.string().min(1))),
  status: z.object({
    blackKinds: z.array(z.enum(CREDIT_KINDS)),
    watchPenaltyKinds: z.array(z.enum(CREDIT_KINDS)),
    watchPenaltyCount: z.number().int().min(1),
    watchRiskLevels: z.array(z.string()),
    redKinds: z.array(z.enum(CREDIT_KINDS)),
    redWindowMonths: z.number().int().min(1),
    redCleanMonths: z.number().int().min(0),
    redRiskLevels: z.array(z.string()),
  }),
  measures: z.record(z.enum(STATUSES), Measures),
});
export type CreditSchemeDefinition = z.infer<typeof CreditSchemeDefinition>;

export interface CreditScheme {
  version: number;
  code: string;
  definition: CreditSchemeDefinition;
}

/** The credit scheme's versions (libs/schemes): one sequence, effective by day, the highest version effective by then in force. */
export const creditSchemes = schemeTable({ schema: SCHEMA, table: 'credit_schemes', unit: dateUnit, definition: CreditSchemeDefinition, pick: 'version' });

/** The scheme in force on a day: the newest version effective by then. */
export async function creditSchemeOn(m: Queryable, day: string): Promise<CreditScheme> {
  const v = await versionInForce(creditSchemes, m, day);
  // a day before the first scheme (a record dated 1969, say) is the caller's input to correct
  if (!v) throw badInput(`no credit scheme is in force on ${day}`, { field: 'occurredOn' });
  return { version: v.version, code: String(v.row.code), definition: v.definition };
}

export function kindRule(scheme: CreditScheme, kind: CreditKind): KindRule {
  const rule = scheme.definition.kinds[kind];
  if (!rule) throw new Error(`credit scheme ${scheme.code} v${scheme.version} has no rule for ${kind}`);
  return rule;
}
