import { INDICATORS, type Band, type Condition, type Indicator, type LabourRiskScheme, type LevelRule, type RiskLevelName } from './labour.scheme';

/** One month's indicators of one enterprise, the sources merged. */
export interface IndicatorValues {
  wageArrearsDays: number;
  workersOwed: number;
  arrearsAmount: number;
  payCycleDays: number;
  rentArrearsMonths: number;
  electricityRatio: number;
  socialInsuranceArrearsMonths: number;
  taxArrearsMonths: number;
  petitions: number;
  groupIncident: boolean;
}

const VALUE: Record<Indicator, (v: IndicatorValues) => number> = {
  wage_arrears_days: (v) => v.wageArrearsDays,
  workers_owed: (v) => v.workersOwed,
  pay_cycle_days: (v) => v.payCycleDays,
  rent_arrears_months: (v) => v.rentArrearsMonths,
  electricity_ratio: (v) => v.electricityRatio,
  social_insurance_arrears_months: (v) => v.socialInsuranceArrearsMonths,
  tax_arrears_months: (v) => v.taxArrearsMonths,
  petitions: (v) => v.petitions,
  group_incident: (v) => (v.groupIncident ? 1 : 0),
};

/** The SQL of each indicator over a row of `labour_indicators`. */
const COLUMN: Record<Indicator, string> = {
  wage_arrears_days: 'wage_arrears_days',
  workers_owed: 'workers_owed',
  pay_cycle_days: 'pay_cycle_days',
  rent_arrears_months: 'rent_arrears_months',
  electricity_ratio: 'electricity_ratio',
  social_insurance_arrears_months: 'social_insurance_arrears_months',
  tax_arrears_months: 'tax_arrears_months',
  petitions: 'petitions',
  group_incident: 'group_incident::int',
};

const within = (x: number, lo: number | null, hi: number | null) => (lo == null || x >= lo) && (hi == null || x < hi);

export interface RiskResult {
  score: number;
  level: RiskLevelName;
  rank: number;
  /** the bands that gave points, in indicator order: the score's breakdown */
  bandIds: number[];
  overrideIds: number[];
}

function levelByScore(levels: LevelRule[], score: number): LevelRule {
  const sorted = [...levels].sort((a, b) => b.minScore - a.minScore);
  return sorted.find((l) => score >= l.minScore) ?? sorted[sorted.length - 1];
}

/**
 * docs/domain/06-labour-risk.md for one enterprise: points per indicator band, the level of the sum, raised by
 * any override whose conditions all hold. The scoring job computes the same in SQL; this is the
 * reference the tables are tested against.
 */
export function scoreIndicators(scheme: LabourRiskScheme, v: IndicatorValues): RiskResult {
  let score = 0;
  const bandIds: number[] = [];
  for (const ind of INDICATORS) {
    const band = scheme.bands.find((b) => b.indicator === ind && b.points > 0 && within(VALUE[ind](v), b.lo, b.hi));
    if (band) {
      score += band.points;
      bandIds.push(band.id);
    }
  }
  let rank = levelByScore(scheme.levels, score).rank;
  const overrideIds: number[] = [];
  for (const o of scheme.overrides) {
    if (o.conditions.every((c) => within(VALUE[c.indicator](v), c.lo, c.hi))) {
      overrideIds.push(o.id);
      rank = Math.max(rank, rankOf(scheme, o.minLevel));
    }
  }
  return { score, level: levelOfRank(scheme, rank), rank, bandIds, overrideIds };
}

export const rankOf = (scheme: LabourRiskScheme, level: string): number => {
  const l = scheme.levels.find((x) => x.level === level);
  if (!l) throw new Error(`scheme v${scheme.version} has no level ${level}`);
  return l.rank;
};
export const levelOfRank = (scheme: LabourRiskScheme, rank: number): RiskLevelName => scheme.levels.find((l) => l.rank === rank)!.level;

const lit = (n: number) => {
  if (!Number.isFinite(n)) throw new Error(`not a finite number in the scheme: ${n}`);
  return String(n);
};

function rangeSql(c: { indicator: Indicator; lo: number | null; hi: number | null }, alias: string): string {
  const col = `${alias}.${COLUMN[c.indicator]}`;
  const parts = [c.lo != null ? `${col} >= ${lit(c.lo)}` : null, c.hi != null ? `${col} < ${lit(c.hi)}` : null].filter(Boolean);
  return parts.length ? parts.join(' AND ') : 'TRUE';
}

export interface CompiledScoring {
  /** over a row of `labour_indicators`: the points of the bands it falls in, summed */
  scoreSql: string;
  /** over a row of `labour_indicators`: the highest level rank an override that holds demands, 0 if none holds */
  overrideRankSql: string;
  /**
   * over a row of `labour_indicators` with its score and override rank as columns: the ids of the
   * bands that gave points, in indicator order, and of the overrides that hold — NULL when there
   * are none, as they are stored. Built only for the rows that have any (a few in a hundred).
   */
  bandIdsSql: (scoreExpr: string) => string;
  overrideIdsSql: (overrideRankExpr: string) => string;
  /** the level rank a score gives, from a column holding the score */
  rankOfScoreSql: (scoreExpr: string) => string;
  levelOfRankSql: (rankExpr: string) => string;
}

/**
 * Compiles a scheme's rows into SQL expressions, so one set-based statement scores a whole
 * chunk. Every number comes from the scheme's rows; nothing of the table is written here. The
 * score is one sum over the indicator columns, as a hand-written statement would have it; the
 * breakdown (which band, which override) is worked out only where there is one.
 */
export function compileScoring(scheme: LabourRiskScheme, alias: string): CompiledScoring {
  const scoring = INDICATORS.filter((ind) => scheme.bands.some((b) => b.indicator === ind && b.points > 0));
  const pointBands = (ind: Indicator) => scheme.bands.filter((b: Band) => b.indicator === ind && b.points > 0);
  // the first band of an indicator that holds gives its points, as in scoreIndicators
  const pointsCase = (ind: Indicator) => `CASE ${pointBands(ind).map((b) => `WHEN ${rangeSql(b, alias)} THEN ${lit(b.points)}`).join(' ')} ELSE 0 END`;
  const bandCase = (ind: Indicator) => `CASE ${pointBands(ind).map((b) => `WHEN ${rangeSql(b, alias)} THEN ${lit(b.id)}`).join(' ')} END`;
  const overrideCond = (conds: Condition[]) => conds.map((c) => `(${rangeSql(c, alias)})`).join(' AND ');
  const byScore = [...scheme.levels].sort((a, b) => b.minScore - a.minScore);
  // level ranks are 1 to 5 (a CHECK of labour_risk_levels), so 0 means no override holds
  const overrideRanks = scheme.overrides.map((o) => `CASE WHEN ${overrideCond(o.conditions)} THEN ${lit(rankOf(scheme, o.minLevel))} ELSE 0 END`);
  return {
    scoreSql: scoring.length ? scoring.map(pointsCase).join('\n + ') : '0',
    overrideRankSql: overrideRanks.length ? `GREATEST(${overrideRanks.join(', ')})` : '0',
    // every band counted gives points > 0, so a score above 0 is exactly a non-empty breakdown
    bandIdsSql: (score) => (scoring.length ? `CASE WHEN ${score} > 0 THEN array_remove(ARRAY[${scoring.map(bandCase).join(', ')}]::int[], NULL) END` : 'NULL::int[]'),
    overrideIdsSql: (rank) =>
      scheme.overrides.length
        ? `CASE WHEN ${rank} > 0 THEN array_remove(ARRAY[${scheme.overrides.map((o) => `CASE WHEN ${overrideCond(o.conditions)} THEN ${lit(o.id)} END`).join(', ')}]::int[], NULL) END`
        : 'NULL::int[]',
    rankOfScoreSql: (x) => `CASE ${byScore.map((l) => `WHEN ${x} >= ${lit(l.minScore)} THEN ${lit(l.rank)}`).join(' ')} ELSE ${lit(byScore[byScore.length - 1].rank)} END`,
    levelOfRankSql: (r) => `CASE ${r} ${scheme.levels.map((l) => `WHEN ${lit(l.rank)} THEN '${l.level}'`).join(' ')} END`,
  };
}

/** The lines a score is explained by: each band that gave points, then each override that applied. */
export function reasonsOf(scheme: LabourRiskScheme, bandIds: number[], overrideIds: number[]): string[] {
  const bands = bandIds.map((id) => scheme.bands.find((b) => b.id === id)).filter((b): b is Band => !!b).map((b) => `${b.label}: +${b.points}`);
  const overrides = overrideIds.map((id) => scheme.overrides.find((o) => o.id === id)).filter((o) => !!o).map((o) => `${o!.label} (at least ${o!.minLevel})`);
  return [...bands, ...overrides];
}

export const guidanceOf = (scheme: LabourRiskScheme, level: string): string => scheme.levels.find((l) => l.level === level)?.guidance ?? '';
