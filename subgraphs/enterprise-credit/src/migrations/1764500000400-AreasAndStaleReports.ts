import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DEFAULT_LABOUR_RISK_SCHEME } from '../seed/schemes.data';

const S = 'enterprise_credit';
const AREAS = `('GENERAL','WORK_SAFETY','FIRE_SAFETY','SPECIAL_EQUIPMENT')`;

/**
 * docs/domain/05-enterprise-credit.md and 06-labour-risk.md as made precise: a penalty's area (work safety, fire and special
 * equipment hold publicity and repair for at least a year) and the day a negative record becomes
 * repairable; scores of enterprises that were not reported in the month (stale, with the month
 * last reported), the "reports stopped" alert, and the scheme values that govern it.
 */
export class AreasAndStaleReports1764500000400 implements MigrationInterface {
  name = 'AreasAndStaleReports1764500000400';

  async up(q: QueryRunner): Promise<void> {
    // the scheme's raised minimums by area (they were by free-text category: FIRE is FIRE_SAFETY)
    const schemes: { version: number; definition: { kinds: Record<string, Record<string, unknown>> } }[] = await q.query(`SELECT version, definition FROM "${S}".credit_schemes`);
    for (const s of schemes) {
      for (const rule of Object.values(s.definition.kinds)) {
        const byCategory = rule.categoryMinMonths as Record<string, number> | undefined;
        if (!byCategory || rule.areaMinMonths) continue;
        const areas: Record<string, number> = {};
        for (const [category, area] of [['WORK_SAFETY', 'WORK_SAFETY'], ['FIRE', 'FIRE_SAFETY'], ['FIRE_SAFETY', 'FIRE_SAFETY'], ['SPECIAL_EQUIPMENT', 'SPECIAL_EQUIPMENT']]) {
          if (byCategory[category] != null) areas[area] = Math.max(areas[area] ?? 0, byCategory[category]);
        }
        rule.areaMinMonths = areas;
      }
      await q.query(`UPDATE "${S}".credit_schemes SET definition = $2::jsonb WHERE version = $1`, [s.version, JSON.stringify(s.definition)]);
    }
    await q.query(`ALTER TABLE "${S}".credit_records ADD COLUMN area text CHECK (area IN ${AREAS}), ADD COLUMN repairable_from date`);
    await q.query(`UPDATE "${S}".credit_records r SET area = CASE r.category WHEN 'WORK_SAFETY' THEN 'WORK_SAFETY' WHEN 'FIRE' THEN 'FIRE_SAFETY' WHEN 'FIRE_SAFETY' THEN 'FIRE_SAFETY'
        WHEN 'SPECIAL_EQUIPMENT' THEN 'SPECIAL_EQUIPMENT' ELSE 'GENERAL' END
      FROM "${S}".credit_schemes s WHERE s.version = r.scheme_version AND s.definition->'kinds'->r.kind ? 'areaMinMonths'`);
    await q.query(`UPDATE "${S}".credit_records r SET repairable_from = (r.occurred_on + make_interval(months => greatest(
        coalesce((s.definition->'kinds'->r.kind->>'repairAfterMonths')::int, (s.definition->'kinds'->r.kind->>'minMonths')::int, 0),
        coalesce((s.definition->'kinds'->r.kind->'areaMinMonths'->>r.area)::int, 0))))::date
      FROM "${S}".credit_schemes s WHERE s.version = r.scheme_version AND (s.definition->'kinds'->r.kind->>'negative')::boolean`);

    await q.query(`ALTER TABLE "${S}".labour_risk_scores ADD COLUMN stale boolean NOT NULL DEFAULT false, ADD COLUMN reported_period text`);
    await q.query(`UPDATE "${S}".labour_risk_scores SET reported_period = period`);
    await q.query(`ALTER TABLE "${S}".labour_risk_scores ALTER COLUMN reported_period SET NOT NULL`);
    // the latest report of each enterprise up to a month, read by USCC range
    await q.query(`CREATE INDEX labour_indicators_uscc_period ON "${S}".labour_indicators (uscc, period DESC)`);

    await q.query(`ALTER TABLE "${S}".labour_risk_schemes ADD COLUMN reports_stopped_after_months int CHECK (reports_stopped_after_months >= 1),
      ADD COLUMN reports_stopped_min_level text CHECK (reports_stopped_min_level IN ('NORMAL','PROBLEM','RISK','DANGER','CRITICAL'))`);
    const stopped = DEFAULT_LABOUR_RISK_SCHEME.reportsStopped;
    await q.query(`UPDATE "${S}".labour_risk_schemes SET reports_stopped_after_months = $1, reports_stopped_min_level = $2`, [stopped.afterMonths, stopped.minLevel]);
    await q.query(`ALTER TABLE "${S}".labour_risk_schemes ALTER COLUMN reports_stopped_after_months SET NOT NULL, ALTER COLUMN reports_stopped_min_level SET NOT NULL`);

    await q.query(`ALTER TABLE "${S}".risk_alerts ADD COLUMN kind text NOT NULL DEFAULT 'LEVEL_RISE' CHECK (kind IN ('LEVEL_RISE','REPORTS_STOPPED')), ADD COLUMN reports_stopped_since text,
      ADD CHECK ((kind = 'REPORTS_STOPPED') = (reports_stopped_since IS NOT NULL))`);
    await q.query(`ALTER TABLE "${S}".risk_alerts DROP CONSTRAINT risk_alerts_once`);
    await q.query(`CREATE UNIQUE INDEX risk_alerts_once ON "${S}".risk_alerts (uscc, level, period) WHERE kind = 'LEVEL_RISE'`);
    await q.query(`CREATE UNIQUE INDEX risk_alerts_stopped_once ON "${S}".risk_alerts (uscc, reports_stopped_since) WHERE kind = 'REPORTS_STOPPED'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM "${S}".webhook_deliveries d USING "${S}".risk_alerts a WHERE a.id = d.alert_id AND a.kind = 'REPORTS_STOPPED'`);
    await q.query(`DELETE FROM "${S}".risk_alerts WHERE kind = 'REPORTS_STOPPED'`);
    await q.query(`DROP INDEX "${S}".risk_alerts_stopped_once`);
    await q.query(`DROP INDEX "${S}".risk_alerts_once`);
    await q.query(`ALTER TABLE "${S}".risk_alerts ADD CONSTRAINT risk_alerts_once UNIQUE (uscc, level, period)`);
    await q.query(`ALTER TABLE "${S}".risk_alerts DROP COLUMN reports_stopped_since, DROP COLUMN kind`);
    await q.query(`ALTER TABLE "${S}".labour_risk_schemes DROP COLUMN reports_stopped_min_level, DROP COLUMN reports_stopped_after_months`);
    await q.query(`DROP INDEX "${S}".labour_indicators_uscc_period`);
    await q.query(`DELETE FROM "${S}".labour_risk_scores WHERE stale`);
    await q.query(`ALTER TABLE "${S}".labour_risk_scores DROP COLUMN reported_period, DROP COLUMN stale`);
    await q.query(`ALTER TABLE "${S}".credit_records DROP COLUMN repairable_from, DROP COLUMN area`);
  }
}
