import { z } from 'zod';
import { badInput } from '@citypoints/kit';

/** The time bank's rules as a scheme row holds them (docs/domain/08-volunteering.md defaults seeded by the migration). */
export interface SchemeRules {
  pointsPerHour: number;
  maxCreditedHoursPerService: number;
  /** lifetime hours for 1, 2, … stars, ascending */
  starThresholds: number[];
  pointValidityMonths: number;
  autoConfirmHours: number;
  backupGraceMinutes: number;
}

export interface Scheme {
  code: string;
  version: number;
  effectiveFrom: Date;
  rules: SchemeRules;
}

export interface AwardLine {
  label: string;
  value: number;
  note?: string;
}

export interface ServiceAward {
  schemeCode: string;
  schemeVersion: number;
  reportedHours: number;
  creditedHours: number;
  points: number;
  escrowPoints: number;
  lines: AwardLine[];
}

/** Two decimals are what the tables keep. */
export const roundHours = (h: number) => Math.round(h * 100) / 100;

const nonNegative = (name: string) => z.number({ message: `scheme rule ${name} must be a non-negative number` }).finite(`scheme rule ${name} must be a non-negative number`).nonnegative(`scheme rule ${name} must be a non-negative number`);

/** The time bank's rules as a scheme version holds them; a publish is refused unless they parse. */
export const schemeRulesDefinition: z.ZodType<SchemeRules, z.ZodTypeDef, unknown> = z.object({
  pointsPerHour: nonNegative('pointsPerHour').int('scheme rule pointsPerHour must be a whole number'),
  maxCreditedHoursPerService: nonNegative('maxCreditedHoursPerService'),
  starThresholds: z
    .array(z.number().finite().positive(), { message: 'scheme rule starThresholds must be ascending positive numbers' })
    .refine((t) => t.every((v, i) => i === 0 || v > t[i - 1]), 'scheme rule starThresholds must be ascending positive numbers'),
  pointValidityMonths: nonNegative('pointValidityMonths').int('scheme rule pointValidityMonths must be a whole number of months').min(1, 'scheme rule pointValidityMonths must be a whole number of months'),
  autoConfirmHours: nonNegative('autoConfirmHours'),
  backupGraceMinutes: nonNegative('backupGraceMinutes'),
});

/** The rules checked, or BAD_USER_INPUT naming what is wrong. */
export function parseRules(raw: unknown): SchemeRules {
  const parsed = schemeRulesDefinition.safeParse(raw);
  if (!parsed.success) throw badInput(parsed.error.issues.map((i) => i.message).join('; '), { field: 'rules' });
  return parsed.data;
}

/**
 * What a confirmed service earns: hours are credited up to the per-service cap, points per
 * credited hour (whole points, rounded down), plus whatever the requester held in escrow.
 */
export function serviceAward(scheme: Scheme, reportedHours: number, escrowPoints: number): ServiceAward {
  const { rules } = scheme;
  const reported = roundHours(reportedHours);
  const credited = Math.min(reported, rules.maxCreditedHoursPerService);
  const points = Math.floor(credited * rules.pointsPerHour);
  const lines: AwardLine[] = [{ label: 'reported hours', value: reported }];
  lines.push(
    credited < reported
      ? { label: 'credited hours', value: credited, note: `capped at ${rules.maxCreditedHoursPerService} hours per service` }
      : { label: 'credited hours', value: credited },
  );
  lines.push({ label: 'service points', value: points, note: `${rules.pointsPerHour} points per credited hour` });
  if (escrowPoints > 0) lines.push({ label: 'escrowed points from the requester', value: escrowPoints });
  lines.push({ label: 'total points', value: points + escrowPoints });
  return { schemeCode: scheme.code, schemeVersion: scheme.version, reportedHours: reported, creditedHours: credited, points, escrowPoints, lines };
}

/** Administrator-entered hours count for stars and earn no points. */
export function administratorAward(scheme: Scheme, hours: number): ServiceAward {
  const h = roundHours(hours);
  return {
    schemeCode: scheme.code,
    schemeVersion: scheme.version,
    reportedHours: h,
    creditedHours: h,
    points: 0,
    escrowPoints: 0,
    lines: [
      { label: 'administrator-entered hours', value: h, note: 'count for stars' },
      { label: 'total points', value: 0, note: 'administrator-entered hours earn no points' },
    ],
  };
}

/** Stars by lifetime hours: the number of thresholds reached. */
export function starsFor(rules: SchemeRules, lifetimeHours: number): number {
  return rules.starThresholds.filter((t) => lifetimeHours >= t).length;
}

/** The hours at which the next star comes, or null at the top. */
export function nextStarAt(rules: SchemeRules, lifetimeHours: number): number | null {
  return rules.starThresholds.find((t) => lifetimeHours < t) ?? null;
}
