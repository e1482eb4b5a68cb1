import { z } from 'zod';

export const INDICATOR_CATEGORIES = ['BASIC_WORK', 'POLITICAL_ORIENTATION', 'INDUSTRY_SELF_DISCIPLINE', 'SOCIAL_GOVERNANCE', 'LIVELIHOOD'] as const;
export const GRADES = ['GREEN', 'YELLOW', 'RED'] as const;
export const CREDIT_PURPOSES = ['GOVERNMENT_COMMISSIONED_WORK', 'GOVERNMENT_FUNDING', 'PUBLIC_WELFARE_BIDDING', 'GOVERNMENT_PURCHASE_OF_SERVICES'] as const;
export const ORGANISATION_KINDS = ['CHAMBER_OF_COMMERCE', 'INDUSTRY_ASSOCIATION', 'PRIVATE_NON_ENTERPRISE', 'FOUNDATION'] as const;

export type Grade = (typeof GRADES)[number];
export type CreditPurpose = (typeof CREDIT_PURPOSES)[number];

const points = z.number().finite().nonnegative();
const creditRule = z.object({ priority: z.array(z.enum(CREDIT_PURPOSES)), excluded: z.array(z.enum(CREDIT_PURPOSES)) });

/**
 * What a grading scheme row holds. Parsed whenever a scheme is read or published, so a bad row
 * fails loudly instead of grading with half a rule set.
 */
export const schemeDefinition = z
  .object({
    categories: z.array(z.object({ code: z.enum(INDICATOR_CATEGORIES), label: z.string().min(1), cap: points })).min(1),
    violation: z.object({ minSeverity: z.number().int().positive(), maxSeverity: z.number().int().positive() }),
    memberEffects: z.object({
      /** enterprise-credit record kind → points deducted from each organisation the enterprise belongs to */
      recordKinds: z.record(z.string(), points),
      /** points deducted each time a member enterprise turns BLACK */
      blacklisting: points,
    }),
    /** highest first; the last one has minPoints null and takes everything below */
    grades: z.array(z.object({ grade: z.enum(GRADES), minPoints: z.number().finite().nullable(), supervision: z.string().min(1) })).min(1),
    reward: z.object({
      kind: z.enum(ORGANISATION_KINDS),
      places: z.array(z.object({ rank: z.number().int().positive(), amount: points })),
    }),
    exitBelow: z.number().finite(),
    credit: z.object({ GREEN: creditRule, YELLOW: creditRule, RED: creditRule }),
  })
  .superRefine((d, ctx) => {
    if (d.violation.minSeverity > d.violation.maxSeverity) ctx.addIssue({ code: 'custom', message: 'violation.minSeverity exceeds maxSeverity' });
    const last = d.grades[d.grades.length - 1];
    if (last && last.minPoints !== null) ctx.addIssue({ code: 'custom', message: 'the last grade must have minPoints null' });
    for (let i = 1; i < d.grades.length - 1; i++) {
      if ((d.grades[i].minPoints ?? -Infinity) >= (d.grades[i - 1].minPoints ?? -Infinity)) {
        ctx.addIssue({ code: 'custom', message: 'grades must be listed from the highest boundary down' });
      }
    }
    if (new Set(d.categories.map((c) => c.code)).size !== d.categories.length) ctx.addIssue({ code: 'custom', message: 'a category is listed twice' });
  });

export type SchemeDefinition = z.infer<typeof schemeDefinition>;

export interface GradingScheme {
  id: number;
  code: string;
  version: number;
  effectiveFromYear: number;
  definition: SchemeDefinition;
  publishedAt: Date;
}
