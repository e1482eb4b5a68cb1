import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DEFAULT_CREDIT_SCHEME, DEFAULT_LABOUR_RISK_SCHEME } from '../seed/schemes.data';

const S = 'enterprise_credit';

export class SeedSchemes1764500000100 implements MigrationInterface {
  name = 'SeedSchemes1764500000100';

  async up(q: QueryRunner): Promise<void> {
    const c = DEFAULT_CREDIT_SCHEME;
    await q.query(`INSERT INTO "${S}".credit_schemes (version, code, effective_from, definition, published_by) VALUES ($1, $2, $3, $4::jsonb, 'seed')`, [
      c.version, c.code, c.effectiveFrom, JSON.stringify(c.definition),
    ]);
    const l = DEFAULT_LABOUR_RISK_SCHEME;
    await q.query(`INSERT INTO "${S}".labour_risk_schemes (version, code, effective_from, published_by) VALUES ($1, $2, $3, 'seed')`, [l.version, l.code, l.effectiveFrom]);
    for (const b of l.bands) {
      await q.query(`INSERT INTO "${S}".labour_risk_bands (scheme_version, indicator, lo, hi, points, label) VALUES ($1, $2, $3, $4, $5, $6)`, [l.version, b.indicator, b.lo, b.hi, b.points, b.label]);
    }
    for (const v of l.levels) {
      await q.query(
        `INSERT INTO "${S}".labour_risk_levels (scheme_version, level, rank, min_score, raises_alert, escalate_after_hours, escalate_after_working_days, guidance) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [l.version, v.level, v.rank, v.minScore, v.raisesAlert, v.escalateAfterHours, v.escalateAfterWorkingDays, v.guidance],
      );
    }
    for (const o of l.overrides) {
      await q.query(`INSERT INTO "${S}".labour_risk_overrides (scheme_version, min_level, conditions, label) VALUES ($1, $2, $3::jsonb, $4)`, [l.version, o.minLevel, JSON.stringify(o.conditions), o.label]);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['labour_risk_overrides', 'labour_risk_levels', 'labour_risk_bands', 'labour_risk_schemes', 'credit_schemes']) {
      await q.query(`DELETE FROM "${S}".${t} WHERE ${t.endsWith('schemes') ? 'version' : 'scheme_version'} = 1`);
    }
  }
}
