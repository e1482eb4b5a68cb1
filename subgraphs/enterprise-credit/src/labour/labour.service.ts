import type { EntityManager } from 'typeorm';
import { requireRole, type Caller } from '@citypoints/auth';
import { badInput, cityMonth, forbidden, isPeriod, parseUscc } from '@citypoints/kit';
import { loader } from '@citypoints/federation';
import { SCHEMA, type Ctx, type EnterpriseCreditRuntime } from '../runtime';
import { assertCanRead } from '../enterprises/access';
import { enterpriseFactsLoader } from '../enterprises/enterprise.projection';
import { guidanceOf, reasonsOf } from './labour.rules';
import { labourRiskScheme } from './labour.scheme';
import type { LabourIndicatorsInput, LabourRisk } from './labour.type';

export const MAX_REPORTS_PER_CALL = 20_000;

const SOURCE = /^[A-Za-z0-9_.:-]{1,64}$/;

function intIn(v: number, lo: number, hi: number, field: string, row: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) throw badInput(`row ${row}: ${field} must be a whole number from ${lo} to ${hi}`, { row, field });
  return v;
}
function numIn(v: number, lo: number, hi: number, field: string, row: number): number {
  if (!Number.isFinite(v) || v < lo || v > hi) throw badInput(`row ${row}: ${field} must be from ${lo} to ${hi}`, { row, field });
  return v;
}

/** Checks every row before anything is written; the first bad row names itself. */
export function validateReports(reports: LabourIndicatorsInput[], currentMonth: string): LabourIndicatorsInput[] {
  if (!reports.length) throw badInput('reports must not be empty', { field: 'reports' });
  if (reports.length > MAX_REPORTS_PER_CALL) throw badInput(`at most ${MAX_REPORTS_PER_CALL} rows per call`, { field: 'reports' });
  const seen = new Set<string>();
  return reports.map((r, row) => {
    let uscc: string;
    try {
      uscc = parseUscc(r.uscc);
    } catch {
      throw badInput(`row ${row}: uscc is not a valid USCC`, { row, field: 'uscc' });
    }
    if (!isPeriod(r.period)) throw badInput(`row ${row}: period must be YYYY-MM`, { row, field: 'period' });
    if (r.period > currentMonth) throw badInput(`row ${row}: period ${r.period} has not begun`, { row, field: 'period' });
    const source = (r.source ?? '').trim();
    if (!SOURCE.test(source)) throw badInput(`row ${row}: source must be 1 to 64 letters, digits, _ . : or -`, { row, field: 'source' });
    const key = `${uscc}|${r.period}|${source}`;
    if (seen.has(key)) throw badInput(`row ${row}: the same enterprise, month and source appear twice`, { row, field: 'source' });
    seen.add(key);
    return {
      uscc,
      period: r.period,
      source,
      wageArrearsDays: intIn(r.wageArrearsDays, 0, 3650, 'wageArrearsDays', row),
      workersOwed: intIn(r.workersOwed, 0, 1_000_000, 'workersOwed', row),
      arrearsAmount: numIn(r.arrearsAmount, 0, 1e12, 'arrearsAmount', row),
      payCycleDays: intIn(r.payCycleDays, 1, 366, 'payCycleDays', row),
      rentArrearsMonths: intIn(r.rentArrearsMonths, 0, 120, 'rentArrearsMonths', row),
      electricityRatio: numIn(r.electricityRatio, 0, 100, 'electricityRatio', row),
      socialInsuranceArrearsMonths: intIn(r.socialInsuranceArrearsMonths, 0, 120, 'socialInsuranceArrearsMonths', row),
      taxArrearsMonths: intIn(r.taxArrearsMonths, 0, 120, 'taxArrearsMonths', row),
      petitions: intIn(r.petitions, 0, 100_000, 'petitions', row),
      groupIncident: !!r.groupIncident,
    };
  });
}

/**
 * Merges the sources of each (enterprise, month) into the row scoring reads: the worst value of
 * each indicator. `keys = null` merges a whole month (a bulk load).
 */
export async function mergeIndicators(m: Pick<EntityManager, 'query'>, keys: { uscc: string; period: string }[] | null, period?: string): Promise<void> {
  const where = keys
    ? `WHERE (r.uscc, r.period) IN (SELECT * FROM unnest($1::text[], $2::text[]))`
    : `WHERE r.period = $1`;
  await m.query(
    `INSERT INTO "${SCHEMA}".labour_indicators (period, uscc, wage_arrears_days, workers_owed, arrears_amount, pay_cycle_days, rent_arrears_months,
        electricity_ratio, social_insurance_arrears_months, tax_arrears_months, petitions, group_incident)
     SELECT r.period, r.uscc, max(wage_arrears_days), max(workers_owed), max(arrears_amount), max(pay_cycle_days), max(rent_arrears_months),
        min(electricity_ratio), max(social_insurance_arrears_months), max(tax_arrears_months), max(petitions), bool_or(group_incident)
     FROM "${SCHEMA}".labour_reports r ${where}
     GROUP BY r.period, r.uscc
     ON CONFLICT (period, uscc) DO UPDATE SET wage_arrears_days = EXCLUDED.wage_arrears_days, workers_owed = EXCLUDED.workers_owed,
        arrears_amount = EXCLUDED.arrears_amount, pay_cycle_days = EXCLUDED.pay_cycle_days, rent_arrears_months = EXCLUDED.rent_arrears_months,
        electricity_ratio = EXCLUDED.electricity_ratio, social_insurance_arrears_months = EXCLUDED.social_insurance_arrears_months,
        tax_arrears_months = EXCLUDED.tax_arrears_months, petitions = EXCLUDED.petitions, group_incident = EXCLUDED.group_incident`,
    keys ? [keys.map((k) => k.uscc), keys.map((k) => k.period)] : [period],
  );
}

/**
 * A department's monthly indicators, thousands of rows at a time, in one transaction. A row
 * for the same (enterprise, month, source) from the same department again replaces the first:
 * resending a batch changes nothing, a corrected row corrects it; another department's report
 * with the same source stands beside it, never over it.
 */
export async function reportLabourIndicators(rt: EnterpriseCreditRuntime, caller: Caller, reports: LabourIndicatorsInput[]): Promise<number> {
  requireRole(caller, 'DATA_FEED');
  const department = caller.department ?? (caller.roles.includes('CITY_ADMIN') ? 'CITY' : null);
  if (!department) throw forbidden('a data feed reports in the name of its department: the token has none');
  const at = rt.clock.now();
  const rows = validateReports(reports, cityMonth(at));
  return rt.ds.transaction(async (m) => {
    const usccs = [...new Set(rows.map((r) => r.uscc))];
    const known: { uscc: string }[] = await m.query(`SELECT uscc FROM "${SCHEMA}".enterprises WHERE uscc = ANY($1)`, [usccs]);
    if (known.length !== usccs.length) {
      const k = new Set(known.map((r) => r.uscc));
      const row = rows.findIndex((r) => !k.has(r.uscc));
      throw badInput(`row ${row}: enterprise ${rows[row].uscc} is not registered`, { row, field: 'uscc' });
    }
    const col = <K extends keyof LabourIndicatorsInput>(k: K) => rows.map((r) => r[k]);
    await m.query(
      `INSERT INTO "${SCHEMA}".labour_reports (uscc, period, source, department, wage_arrears_days, workers_owed, arrears_amount, pay_cycle_days,
          rent_arrears_months, electricity_ratio, social_insurance_arrears_months, tax_arrears_months, petitions, group_incident, reported_at)
       SELECT u.*, $15::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::numeric[], $8::int[],
          $9::int[], $10::numeric[], $11::int[], $12::int[], $13::int[], $14::boolean[]) AS u
       ON CONFLICT (uscc, period, source, department) DO UPDATE SET wage_arrears_days = EXCLUDED.wage_arrears_days,
          workers_owed = EXCLUDED.workers_owed, arrears_amount = EXCLUDED.arrears_amount, pay_cycle_days = EXCLUDED.pay_cycle_days,
          rent_arrears_months = EXCLUDED.rent_arrears_months, electricity_ratio = EXCLUDED.electricity_ratio,
          social_insurance_arrears_months = EXCLUDED.social_insurance_arrears_months, tax_arrears_months = EXCLUDED.tax_arrears_months,
          petitions = EXCLUDED.petitions, group_incident = EXCLUDED.group_incident, reported_at = EXCLUDED.reported_at`,
      [
        col('uscc'), col('period'), col('source'), rows.map(() => department), col('wageArrearsDays'), col('workersOwed'), col('arrearsAmount'),
        col('payCycleDays'), col('rentArrearsMonths'), col('electricityRatio'), col('socialInsuranceArrearsMonths'), col('taxArrearsMonths'),
        col('petitions'), col('groupIncident'), at,
      ],
    );
    await mergeIndicators(m, rows.map((r) => ({ uscc: r.uscc, period: r.period })));
    return rows.length;
  });
}

interface RiskRow {
  uscc: string;
  period: string;
  scheme_version: number;
  score: number;
  level: string;
  band_ids: number[] | null;
  override_ids: number[] | null;
  since: Date;
  stale: boolean;
  reported_period: string;
  wage_arrears_days: number | null;
  workers_owed: number;
  arrears_amount: string;
  pay_cycle_days: number;
  rent_arrears_months: number;
  electricity_ratio: string;
  social_insurance_arrears_months: number;
  tax_arrears_months: number;
  petitions: number;
  group_incident: boolean;
}

/** Enterprise.labourRisk, batched: the latest scored month of each enterprise, in one query. */
export function labourRiskLoader(ctx: Ctx) {
  return loader<string, LabourRisk | null>(ctx, 'labour-risk', async (usccs) => {
    const facts = await enterpriseFactsLoader(ctx).loadMany(usccs);
    const rows: RiskRow[] = await ctx.rt.ds.query(
      `SELECT DISTINCT ON (s.uscc) s.uscc, s.period, s.scheme_version, s.score, s.level, s.band_ids, s.override_ids, s.since, s.stale, s.reported_period,
          i.wage_arrears_days, i.workers_owed, i.arrears_amount, i.pay_cycle_days, i.rent_arrears_months, i.electricity_ratio,
          i.social_insurance_arrears_months, i.tax_arrears_months, i.petitions, i.group_incident
       FROM "${SCHEMA}".labour_risk_scores s LEFT JOIN "${SCHEMA}".labour_indicators i ON i.period = s.reported_period AND i.uscc = s.uscc
       WHERE s.uscc = ANY($1) ORDER BY s.uscc, s.period DESC`,
      [usccs],
    );
    const byUscc = new Map(rows.map((r) => [r.uscc, r]));
    const out: (LabourRisk | null | Error)[] = [];
    for (let i = 0; i < usccs.length; i++) {
      const f = facts[i];
      try {
        assertCanRead(ctx.caller, f instanceof Error || !f ? null : f.divisionCode, 'labourRisk');
      } catch (e) {
        out.push(e as Error);
        continue;
      }
      const r = byUscc.get(usccs[i]);
      if (!r) {
        out.push(null);
        continue;
      }
      const scheme = await labourRiskScheme(ctx.rt.ds, r.scheme_version, ctx.rt.labourSchemes);
      out.push({
        level: r.level as LabourRisk['level'],
        score: r.score,
        period: r.period,
        reasons: reasonsOf(scheme, r.band_ids ?? [], r.override_ids ?? []),
        guidance: guidanceOf(scheme, r.level),
        since: r.since,
        schemeCode: scheme.code,
        schemeVersion: r.scheme_version,
        stale: r.stale,
        lastReportedPeriod: r.reported_period,
        indicators:
          r.wage_arrears_days == null
            ? null
            : {
                period: r.reported_period,
                wageArrearsDays: r.wage_arrears_days,
                workersOwed: r.workers_owed,
                arrearsAmount: Number(r.arrears_amount),
                payCycleDays: r.pay_cycle_days,
                rentArrearsMonths: r.rent_arrears_months,
                electricityRatio: Number(r.electricity_ratio),
                socialInsuranceArrearsMonths: r.social_insurance_arrears_months,
                taxArrearsMonths: r.tax_arrears_months,
                petitions: r.petitions,
                groupIncident: r.group_incident,
              },
      });
    }
    return out;
  });
}
