import { z } from 'zod';
import type { Queryable } from '@citypoints/kit';
import { monthUnit, schemeTable, versionByNumber, versionHistory, versionInForce, type SchemeVersion } from '@citypoints/schemes';
import { SCHEMA } from '../runtime';

export const RISK_LEVELS = ['NORMAL', 'PROBLEM', 'RISK', 'DANGER', 'CRITICAL'] as const;
export type RiskLevelName = (typeof RISK_LEVELS)[number];

export const INDICATORS = [
  'wage_arrears_days',
  'workers_owed',
  'pay_cycle_days',
  'rent_arrears_months',
  'electricity_ratio',
  'social_insurance_arrears_months',
  'tax_arrears_months',
  'petitions',
  'group_incident',
] as const;
export type Indicator = (typeof INDICATORS)[number];

export interface Band {
  id: number;
  indicator: Indicator;
  /** inclusive; null = no lower bound */
  lo: number | null;
  /** exclusive; null = no upper bound */
  hi: number | null;
  points: number;
  label: string;
}
export interface LevelRule {
  level: RiskLevelName;
  rank: number;
  minScore: number;
  raisesAlert: boolean;
  escalateAfterHours: number | null;
  escalateAfterWorkingDays: number | null;
  guidance: string;
}
export interface Condition {
  indicator: Indicator;
  lo: number | null;
  hi: number | null;
}
export interface Override {
  id: number;
  minLevel: RiskLevelName;
  conditions: Condition[];
  label: string;
}
export interface ReportsStoppedRule {
  /** months in a row without a report that raise the alert */
  afterMonths: number;
  /** the lowest last level that raises it */
  minLevel: RiskLevelName;
}
export interface LabourRiskScheme {
  version: number;
  code: string;
  reportsStopped: ReportsStoppedRule;
  bands: Band[];
  levels: LevelRule[];
  overrides: Override[];
}

const num = (v: string | number | null) => (v == null ? null : Number(v));

const bound = z.number().finite().nullable();
/** A version's table as stored: bands, levels and overrides as rows of their own (ids from their serials). */
export const LabourRiskSchemeDefinition = z.object({
  bands: z.array(z.object({ id: z.number().int().optional(), indicator: z.enum(INDICATORS), lo: bound, hi: bound, points: z.number().int().min(0), label: z.string().min(1) })),
  levels: z.array(
    z.object({
      level: z.enum(RISK_LEVELS),
      rank: z.number().int().min(1).max(RISK_LEVELS.length),
      minScore: z.number().int(),
      raisesAlert: z.boolean(),
      escalateAfterHours: z.number().int().nullable(),
      escalateAfterWorkingDays: z.number().int().nullable(),
      guidance: z.string(),
    }),
  ),
  overrides: z.array(
    z.object({ id: z.number().int().optional(), minLevel: z.enum(RISK_LEVELS), conditions: z.array(z.object({ indicator: z.enum(INDICATORS), lo: bound, hi: bound })).min(1), label: z.string().min(1) }),
  ),
  reportsStopped: z.object({ afterMonths: z.number().int().min(1), minLevel: z.enum(RISK_LEVELS) }),
});
export type LabourRiskSchemeDefinition = z.infer<typeof LabourRiskSchemeDefinition>;

/** Writes a version's bands, levels and overrides (in the publishing transaction). */
async function storeRows(m: Queryable, version: number, d: LabourRiskSchemeDefinition): Promise<void> {
  for (const b of d.bands) {
    await m.query(`INSERT INTO "${SCHEMA}".labour_risk_bands (scheme_version, indicator, lo, hi, points, label) VALUES ($1, $2, $3, $4, $5, $6)`, [version, b.indicator, b.lo, b.hi, b.points, b.label]);
  }
  for (const l of d.levels) {
    await m.query(
      `INSERT INTO "${SCHEMA}".labour_risk_levels (scheme_version, level, rank, min_score, raises_alert, escalate_after_hours, escalate_after_working_days, guidance) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [version, l.level, l.rank, l.minScore, l.raisesAlert, l.escalateAfterHours, l.escalateAfterWorkingDays, l.guidance],
    );
  }
  for (const o of d.overrides) {
    await m.query(`INSERT INTO "${SCHEMA}".labour_risk_overrides (scheme_version, min_level, conditions, label) VALUES ($1, $2, $3::jsonb, $4)`, [
      version, o.minLevel, JSON.stringify(o.conditions), o.label,
    ]);
  }
}

/** Reads a version's rows back into its definition. */
async function loadRows(m: Queryable, row: Record<string, unknown>): Promise<LabourRiskSchemeDefinition> {
  const version = Number(row.version);
  const bands: { id: number; indicator: Indicator; lo: string | null; hi: string | null; points: number; label: string }[] = await m.query(
    `SELECT id, indicator, lo, hi, points, label FROM "${SCHEMA}".labour_risk_bands WHERE scheme_version = $1 ORDER BY indicator, lo NULLS FIRST`,
    [version],
  );
  const levels: { level: RiskLevelName; rank: number; min_score: number; raises_alert: boolean; escalate_after_hours: number | null; escalate_after_working_days: number | null; guidance: string }[] =
    await m.query(`SELECT * FROM "${SCHEMA}".labour_risk_levels WHERE scheme_version = $1 ORDER BY rank`, [version]);
  const overrides: { id: number; min_level: RiskLevelName; conditions: Condition[]; label: string }[] = await m.query(
    `SELECT id, min_level, conditions, label FROM "${SCHEMA}".labour_risk_overrides WHERE scheme_version = $1 ORDER BY id`,
    [version],
  );
  return {
    bands: bands.map((b) => ({ id: b.id, indicator: b.indicator, lo: num(b.lo), hi: num(b.hi), points: b.points, label: b.label })),
    levels: levels.map((l) => ({
      level: l.level,
      rank: l.rank,
      minScore: l.min_score,
      raisesAlert: l.raises_alert,
      escalateAfterHours: l.escalate_after_hours,
      escalateAfterWorkingDays: l.escalate_after_working_days,
      guidance: l.guidance,
    })),
    overrides: overrides.map((o) => ({ id: o.id, minLevel: o.min_level, conditions: o.conditions, label: o.label })),
    reportsStopped: { afterMonths: Number(row.reports_stopped_after_months), minLevel: row.reports_stopped_min_level as RiskLevelName },
  };
}

/**
 * The labour-risk scheme's versions (libs/schemes): one sequence, effective by month, each new
 * one strictly later than the last, the highest version effective by a month in force; the table
 * itself in child rows, the "reports stopped" values in the version row.
 */
export const labourRiskSchemes = schemeTable({
  schema: SCHEMA,
  table: 'labour_risk_schemes',
  unit: monthUnit,
  definition: LabourRiskSchemeDefinition,
  pick: 'version',
  strictlyLater: true,
  columns: { definition: null },
  store: (m, v) => storeRows(m, v.version, v.definition),
  load: loadRows,
});

function toScheme(v: SchemeVersion<LabourRiskSchemeDefinition, string>): LabourRiskScheme {
  const d = v.definition;
  return {
    version: v.version,
    code: String(v.row.code),
    reportsStopped: d.reportsStopped,
    bands: d.bands as Band[],
    levels: d.levels,
    overrides: d.overrides as Override[],
  };
}

/**
 * A scheme version as published. A published version never changes, so a runtime keeps each one
 * it has read in its `labourSchemes` map and passes it as `cache`.
 */
export async function labourRiskScheme(ds: Queryable, version: number, cache?: Map<number, LabourRiskScheme>): Promise<LabourRiskScheme> {
  const hit = cache?.get(version);
  if (hit) return hit;
  const v = await versionByNumber(labourRiskSchemes, ds, version);
  if (!v) throw new Error(`labour-risk scheme version ${version} does not exist`);
  const scheme = toScheme(v);
  cache?.set(version, scheme);
  return scheme;
}

/** The version in force for a month: the newest effective by its first day. */
export async function labourRiskSchemeVersionFor(ds: Queryable, period: string, cache?: Map<number, LabourRiskScheme>): Promise<number> {
  const v = await versionInForce(labourRiskSchemes, ds, period);
  if (!v) throw new Error(`no labour-risk scheme is in force for ${period}`);
  if (cache && !cache.has(v.version)) cache.set(v.version, toScheme(v));
  return v.version;
}

/** Every version, newest first. */
export async function labourRiskSchemeHistory(ds: Queryable, cache?: Map<number, LabourRiskScheme>): Promise<LabourRiskScheme[]> {
  const all = await versionHistory(labourRiskSchemes, ds);
  return all.map((v) => cache?.get(v.version) ?? toScheme(v));
}
