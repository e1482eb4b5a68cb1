import { Field, Float, InputType, Int, ObjectType } from 'type-graphql';
import { requireRole, type Caller } from '@citypoints/auth';
import { badInput, isPeriod } from '@citypoints/kit';
import type { EnterpriseCreditRuntime } from '../runtime';
import { publishVersion } from '@citypoints/schemes';
import {
  INDICATORS,
  labourRiskScheme,
  labourRiskSchemeHistory,
  labourRiskSchemes,
  labourRiskSchemeVersionFor,
  RISK_LEVELS,
  type Indicator,
  type LabourRiskScheme,
  type LabourRiskSchemeDefinition,
} from './labour.scheme';
import { RiskLevel } from './labour.type';

@InputType()
export class RiskBandInput {
  @Field({ description: `one of ${INDICATORS.join(', ')}` }) indicator: string;
  @Field(() => Float, { nullable: true, description: 'inclusive; none = no lower bound' }) lo?: number | null;
  @Field(() => Float, { nullable: true, description: 'exclusive; none = no upper bound' }) hi?: number | null;
  @Field(() => Int) points: number;
  @Field() label: string;
}

@InputType()
export class RiskLevelInput {
  @Field(() => RiskLevel) level: RiskLevel;
  @Field(() => Int) minScore: number;
  @Field() raisesAlert: boolean;
  @Field(() => Int, { nullable: true }) escalateAfterHours?: number | null;
  @Field(() => Int, { nullable: true }) escalateAfterWorkingDays?: number | null;
  @Field() guidance: string;
}

@InputType()
export class RiskConditionInput {
  @Field() indicator: string;
  @Field(() => Float, { nullable: true }) lo?: number | null;
  @Field(() => Float, { nullable: true }) hi?: number | null;
}

@InputType()
export class RiskOverrideInput {
  @Field(() => RiskLevel) minLevel: RiskLevel;
  @Field(() => [RiskConditionInput]) conditions: RiskConditionInput[];
  @Field() label: string;
}

@InputType()
export class LabourRiskSchemeInput {
  @Field() code: string;
  @Field({ description: 'the first month scored under it, YYYY-MM' }) effectiveFrom: string;
  @Field(() => [RiskBandInput]) bands: RiskBandInput[];
  @Field(() => [RiskLevelInput]) levels: RiskLevelInput[];
  @Field(() => [RiskOverrideInput]) overrides: RiskOverrideInput[];
  @Field(() => Int, { nullable: true, description: 'months in a row without a report that raise "reports stopped" (default: as the version in force)' }) reportsStoppedAfterMonths?: number | null;
  @Field(() => RiskLevel, { nullable: true, description: 'the lowest last level that raises "reports stopped" (default: as the version in force)' }) reportsStoppedMinLevel?: RiskLevel | null;
}

@ObjectType()
export class RiskBandView {
  @Field() indicator: string;
  @Field(() => Float, { nullable: true }) lo: number | null;
  @Field(() => Float, { nullable: true }) hi: number | null;
  @Field(() => Int) points: number;
  @Field() label: string;
}

@ObjectType()
export class RiskLevelView {
  @Field(() => RiskLevel) level: string;
  @Field(() => Int) minScore: number;
  @Field() raisesAlert: boolean;
  @Field(() => Int, { nullable: true }) escalateAfterHours: number | null;
  @Field(() => Int, { nullable: true }) escalateAfterWorkingDays: number | null;
  @Field() guidance: string;
}

@ObjectType()
export class RiskOverrideView {
  @Field(() => RiskLevel) minLevel: string;
  @Field(() => [RiskBandView], { description: 'all must hold; points are 0' }) conditions: RiskBandView[];
  @Field() label: string;
}

@ObjectType({ description: 'a version of the labour-risk scoring table (docs/domain/06-labour-risk.md)' })
export class LabourRiskSchemeView {
  @Field(() => Int) version: number;
  @Field() code: string;
  @Field(() => [RiskBandView]) bands: RiskBandView[];
  @Field(() => [RiskLevelView]) levels: RiskLevelView[];
  @Field(() => [RiskOverrideView]) overrides: RiskOverrideView[];
  @Field(() => Int) reportsStoppedAfterMonths: number;
  @Field(() => RiskLevel) reportsStoppedMinLevel: string;
}

export const toSchemeView = (s: LabourRiskScheme): LabourRiskSchemeView => ({
  version: s.version,
  code: s.code,
  reportsStoppedAfterMonths: s.reportsStopped.afterMonths,
  reportsStoppedMinLevel: s.reportsStopped.minLevel,
  bands: s.bands.map((b) => ({ indicator: b.indicator, lo: b.lo, hi: b.hi, points: b.points, label: b.label })),
  levels: s.levels.map((l) => ({ ...l })),
  overrides: s.overrides.map((o) => ({ minLevel: o.minLevel, label: o.label, conditions: o.conditions.map((c) => ({ indicator: c.indicator, lo: c.lo, hi: c.hi, points: 0, label: '' })) })),
});

function range(field: string, lo: number | null | undefined, hi: number | null | undefined) {
  for (const v of [lo, hi]) if (v != null && !Number.isFinite(v)) throw badInput(`${field}: bounds must be numbers`, { field });
  if (lo != null && hi != null && lo >= hi) throw badInput(`${field}: lo must be below hi`, { field });
}

function indicator(name: string, field: string): string {
  if (!(INDICATORS as readonly string[]).includes(name)) throw badInput(`${field}: unknown indicator ${name}`, { field });
  return name;
}

/** Checks a new table: known indicators, non-overlapping bands, every level once with rising minimums. */
export function validateScheme(input: LabourRiskSchemeInput): void {
  if (!/^[A-Z][A-Z0-9-]{1,39}$/.test(input.code)) throw badInput('code is 2 to 40 upper-case letters, digits or -', { field: 'code' });
  if (!isPeriod(input.effectiveFrom)) throw badInput('effectiveFrom must be YYYY-MM', { field: 'effectiveFrom' });
  input.bands.forEach((b, i) => {
    indicator(b.indicator, `bands[${i}]`);
    range(`bands[${i}]`, b.lo, b.hi);
    if (!Number.isInteger(b.points) || b.points < 0 || b.points > 1000) throw badInput(`bands[${i}]: points must be 0 to 1000`, { field: 'bands' });
    if (!b.label.trim()) throw badInput(`bands[${i}]: a label is required`, { field: 'bands' });
  });
  for (const ind of INDICATORS) {
    const own = input.bands.filter((b) => b.indicator === ind).sort((a, b) => (a.lo ?? -Infinity) - (b.lo ?? -Infinity));
    for (let i = 1; i < own.length; i++) {
      if ((own[i - 1].hi ?? Infinity) > (own[i].lo ?? -Infinity)) throw badInput(`bands of ${ind} overlap`, { field: 'bands' });
    }
  }
  const levels = [...input.levels].sort((a, b) => RISK_LEVELS.indexOf(a.level) - RISK_LEVELS.indexOf(b.level));
  if (levels.map((l) => l.level).join() !== RISK_LEVELS.join()) throw badInput(`levels must name ${RISK_LEVELS.join(', ')} once each`, { field: 'levels' });
  if (levels[0].minScore !== 0) throw badInput('NORMAL starts at score 0', { field: 'levels' });
  for (let i = 1; i < levels.length; i++) if (levels[i].minScore <= levels[i - 1].minScore) throw badInput('level minimums must rise with the level', { field: 'levels' });
  if (input.reportsStoppedAfterMonths != null && (!Number.isInteger(input.reportsStoppedAfterMonths) || input.reportsStoppedAfterMonths < 1 || input.reportsStoppedAfterMonths > 24)) {
    throw badInput('reportsStoppedAfterMonths must be 1 to 24', { field: 'reportsStoppedAfterMonths' });
  }
  input.overrides.forEach((o, i) => {
    if (!o.conditions.length) throw badInput(`overrides[${i}]: at least one condition`, { field: 'overrides' });
    o.conditions.forEach((c, j) => {
      indicator(c.indicator, `overrides[${i}].conditions[${j}]`);
      range(`overrides[${i}].conditions[${j}]`, c.lo, c.hi);
    });
  });
}

/** A new version of the table, from a later month than the last; scores computed under earlier versions keep theirs. */
export async function publishLabourRiskScheme(rt: EnterpriseCreditRuntime, caller: Caller, input: LabourRiskSchemeInput): Promise<LabourRiskSchemeView> {
  requireRole(caller, 'CITY_ADMIN');
  validateScheme(input);
  const version = await rt.ds.transaction(async (m) => {
    const [{ latest }]: { latest: number }[] = await m.query(`SELECT max(version)::int AS latest FROM ${labourRiskSchemes.qualified}`);
    const previous = await labourRiskScheme(m, latest, rt.labourSchemes);
    const definition: LabourRiskSchemeDefinition = {
      bands: input.bands.map((b) => ({ indicator: b.indicator as Indicator, lo: b.lo ?? null, hi: b.hi ?? null, points: b.points, label: b.label.trim() })),
      levels: RISK_LEVELS.map((l, i) => {
        const given = input.levels.find((x) => x.level === l)!;
        return {
          level: l,
          rank: i + 1,
          minScore: given.minScore,
          raisesAlert: given.raisesAlert,
          escalateAfterHours: given.escalateAfterHours ?? null,
          escalateAfterWorkingDays: given.escalateAfterWorkingDays ?? null,
          guidance: given.guidance.trim(),
        };
      }),
      overrides: input.overrides.map((o) => ({
        minLevel: o.minLevel,
        conditions: o.conditions.map((c) => ({ indicator: c.indicator as Indicator, lo: c.lo ?? null, hi: c.hi ?? null })),
        label: o.label.trim(),
      })),
      reportsStopped: {
        afterMonths: input.reportsStoppedAfterMonths ?? previous.reportsStopped.afterMonths,
        minLevel: input.reportsStoppedMinLevel ?? previous.reportsStopped.minLevel,
      },
    };
    const v = await publishVersion(labourRiskSchemes, m, {
      effectiveFrom: input.effectiveFrom,
      definition,
      by: caller.sub,
      values: { code: input.code },
      extra: (d) => {
        const r = (d as LabourRiskSchemeDefinition).reportsStopped;
        return { reports_stopped_after_months: r.afterMonths, reports_stopped_min_level: r.minLevel };
      },
    });
    return v.version;
  });
  return toSchemeView(await labourRiskScheme(rt.ds, version, rt.labourSchemes));
}

/** Every version of the table, newest first: what explains the scores of each month. */
export async function labourRiskSchemeHistoryFor(rt: EnterpriseCreditRuntime, caller: Caller): Promise<LabourRiskSchemeView[]> {
  requireRole(caller, 'REGULATOR', 'DATA_FEED', 'DEPARTMENT_ANALYST', 'TOWN_OFFICIAL');
  return (await labourRiskSchemeHistory(rt.ds, rt.labourSchemes)).map(toSchemeView);
}

export async function labourRiskSchemeFor(rt: EnterpriseCreditRuntime, caller: Caller, period: string): Promise<LabourRiskSchemeView> {
  requireRole(caller, 'REGULATOR', 'DATA_FEED', 'DEPARTMENT_ANALYST', 'TOWN_OFFICIAL');
  if (!isPeriod(period)) throw badInput('period must be YYYY-MM', { field: 'period' });
  return toSchemeView(await labourRiskScheme(rt.ds, await labourRiskSchemeVersionFor(rt.ds, period, rt.labourSchemes), rt.labourSchemes));
}
