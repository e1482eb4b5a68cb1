import type { EntityManager } from 'typeorm';
import { SCHEMA } from '../runtime';

type Queryable = Pick<EntityManager, 'query'>;

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
export interface LabourRiskScheme {
  version: number;
  code: string;
  bands: Band[];
  levels: LevelRule[];
  overrides: Override[];
}

const num = (v: string | number | null) => (v == null ? null : Number(v));
/**
 * A scheme version as published. A published version never changes, so a runtime keeps each one
 * it has read in its `labourSchemes` map and passes it as `cache`.
 */
export async function labourRiskScheme(ds: Queryable, version: number, cache?: Map<number, LabourRiskScheme>): Promise<LabourRiskScheme> {
  const hit = cache?.get(version);
  if (hit) return hit;
  const [head]: { version: number; code: string }[] = await ds.query(`SELECT version, code FROM "${SCHEMA}".labour_risk_schemes WHERE version = $1`, [version]);
  if (!head) throw new Error(`labour-risk scheme version ${version} does not exist`);
  const bands: { id: number; indicator: Indicator; lo: string | null; hi: string | null; points: number; label: string }[] = await ds.query(
    `SELECT id, indicator, lo, hi, points, label FROM "${SCHEMA}".labour_risk_bands WHERE scheme_version = $1 ORDER BY indicator, lo NULLS FIRST`,
    [version],
  );
  const levels: { level: RiskLevelName; rank: number; min_score: number; raises_alert: boolean; escalate_after_hours: number | null; escalate_after_working_days: number | null; guidance: string }[] =
    await ds.query(`SELECT * FROM "${SCHEMA}".labour_risk_levels WHERE scheme_version = $1 ORDER BY rank`, [version]);
  const overrides: { id: number; min_level: RiskLevelName; conditions: Condition[]; label: string }[] = await ds.query(
    `SELECT id, min_level, conditions, label FROM "${SCHEMA}".labour_risk_overrides WHERE scheme_version = $1 ORDER BY id`,
    [version],
  );
  const scheme: LabourRiskScheme = {
    version: head.version,
    code: head.code,
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
  };
  cache?.set(version, scheme);
  return scheme;
}

/** The version in force for a month: the newest effective by its first day. */
export async function labourRiskSchemeVersionFor(ds: Queryable, period: string): Promise<number> {
  const rows: { version: number }[] = await ds.query(
    `SELECT version FROM "${SCHEMA}".labour_risk_schemes WHERE effective_from <= $1::date ORDER BY version DESC LIMIT 1`,
    [`${period}-01`],
  );
  if (!rows.length) throw new Error(`no labour-risk scheme is in force for ${period}`);
  return rows[0].version;
}
