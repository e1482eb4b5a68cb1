import { Field, Float, InputType, Int, ObjectType } from 'type-graphql';
import { requireRole, type Caller } from '@citypoints/auth';
import { badInput, conflict, isPeriod } from '@citypoints/kit';
import { SCHEMA, type EnterpriseCreditRuntime } from '../runtime';
import { INDICATORS, labourRiskScheme, labourRiskSchemeVersionFor, RISK_LEVELS, type LabourRiskScheme } from './labour.scheme';
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
}

export const toSchemeView = (s: LabourRiskScheme): LabourRiskSchemeView => ({
  version: s.version,
  code: s.code,
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
  input.overrides.forEach((o, i) => {
    if (!o.conditions.length) throw badInput(`overrides[${i}]: at least one condition`, { field: 'overrides' });
    o.conditions.forEach((c, j) => {
      indicator(c.indicator, `overrides[${i}].conditions[${j}]`);
      range(`overrides[${i}].conditions[${j}]`, c.lo, c.hi);
    });
  });
}

/** A new version of the table; scores computed under earlier versions keep theirs. */
export async function publishLabourRiskScheme(rt: EnterpriseCreditRuntime, caller: Caller, input: LabourRiskSchemeInput): Promise<LabourRiskSchemeView> {
  requireRole(caller, 'CITY_ADMIN');
  validateScheme(input);
  const version = await rt.ds.transaction(async (m) => {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['labour-risk-scheme']);
    const [{ latest, last_from }]: { latest: number; last_from: string }[] = await m.query(
      `SELECT max(version) AS latest, to_char(max(effective_from), 'YYYY-MM') AS last_from FROM "${SCHEMA}".labour_risk_schemes`,
    );
    if (input.effectiveFrom <= last_from) throw conflict(`a scheme is in force from ${last_from} already; a new one starts later`, { field: 'effectiveFrom' });
    const v = latest + 1;
    await m.query(`INSERT INTO "${SCHEMA}".labour_risk_schemes (version, code, effective_from, published_by) VALUES ($1, $2, $3, $4)`, [v, input.code, `${input.effectiveFrom}-01`, caller.sub]);
    for (const b of input.bands) {
      await m.query(`INSERT INTO "${SCHEMA}".labour_risk_bands (scheme_version, indicator, lo, hi, points, label) VALUES ($1, $2, $3, $4, $5, $6)`, [v, b.indicator, b.lo ?? null, b.hi ?? null, b.points, b.label.trim()]);
    }
    for (const [i, l] of RISK_LEVELS.entries()) {
      const given = input.levels.find((x) => x.level === l)!;
      await m.query(
        `INSERT INTO "${SCHEMA}".labour_risk_levels (scheme_version, level, rank, min_score, raises_alert, escalate_after_hours, escalate_after_working_days, guidance) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [v, l, i + 1, given.minScore, given.raisesAlert, given.escalateAfterHours ?? null, given.escalateAfterWorkingDays ?? null, given.guidance.trim()],
      );
    }
    for (const o of input.overrides) {
      await m.query(`INSERT INTO "${SCHEMA}".labour_risk_overrides (scheme_version, min_level, conditions, label) VALUES ($1, $2, $3::jsonb, $4)`, [
        v, o.minLevel, JSON.stringify(o.conditions.map((c) => ({ indicator: c.indicator, lo: c.lo ?? null, hi: c.hi ?? null }))), o.label.trim(),
      ]);
    }
    return v;
  });
  return toSchemeView(await labourRiskScheme(rt.ds, version, rt.labourSchemes));
}

export async function labourRiskSchemeFor(rt: EnterpriseCreditRuntime, caller: Caller, period: string): Promise<LabourRiskSchemeView> {
  requireRole(caller, 'REGULATOR', 'DATA_FEED', 'DEPARTMENT_ANALYST', 'TOWN_OFFICIAL');
  if (!isPeriod(period)) throw badInput('period must be YYYY-MM', { field: 'period' });
  return toSchemeView(await labourRiskScheme(rt.ds, await labourRiskSchemeVersionFor(rt.ds, period), rt.labourSchemes));
}
