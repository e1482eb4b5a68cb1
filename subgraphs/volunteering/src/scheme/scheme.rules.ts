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

export function parseRules(raw: unknown): SchemeRules {
  const r = raw as Partial<SchemeRules>;
  const positive = (v: unknown, name: string) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw badInput(`scheme rule ${name} must be a non-negative number`);
    return v;
  };
  const thresholds = r.starThresholds;
  if (!Array.isArray(thresholds) || thresholds.some((t, i) => typeof t !== 'number' || t <= 0 || (i > 0 && t <= thresholds[i - 1]))) {
    throw badInput('scheme rule starThresholds must be ascending positive numbers');
  }
  const months = positive(r.pointValidityMonths, 'pointValidityMonths');
  if (!Number.isInteger(months) || months < 1) throw badInput('scheme rule pointValidityMonths must be a whole number of months');
  const rate = positive(r.pointsPerHour, 'pointsPerHour');
  if (!Number.isInteger(rate)) throw badInput('scheme rule pointsPerHour must be a whole number');
  return {
    pointsPerHour: rate,
    maxCreditedHoursPerService: positive(r.maxCreditedHoursPerService, 'maxCreditedHoursPerService'),
    starThresholds: [...thresholds],
    pointValidityMonths: months,
    autoConfirmHours: positive(r.autoConfirmHours, 'autoConfirmHours'),
    backupGraceMinutes: positive(r.backupGraceMinutes, 'backupGraceMinutes'),
  };
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
