import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DG_SCHOOL_ELIGIBILITY, DG_SCHOOL_ELIGIBILITY_YEAR } from './default-schemes';

const S = 'settlement';

/**
 * School admission as docs/domain/01-school-admission.md now states it: eligibility (a new default scheme version),
 * applications kept out of the pool as INELIGIBLE with the reason named, and the final list —
 * a run's publicity window, its finalisation, and the pool's count of line changes a run must
 * have seen before it may be final.
 */
export class SchoolEligibility1764200000004 implements MigrationInterface {
  name = 'SchoolEligibility1764200000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `INSERT INTO "${S}".schemes (kind, code, year, version, threshold, definition, published_by)
       SELECT 'SCHOOL_ADMISSION', 'DG-SCHOOL', $1, COALESCE(MAX(version), 0) + 1, NULL, $2::jsonb, 'migration' FROM "${S}".schemes WHERE kind = 'SCHOOL_ADMISSION' AND code = 'DG-SCHOOL'`,
      [DG_SCHOOL_ELIGIBILITY_YEAR, JSON.stringify(DG_SCHOOL_ELIGIBILITY)],
    );
    await q.query(`ALTER TABLE "${S}".school_applications ADD COLUMN unmet_conditions text[] NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE "${S}".admission_results DROP CONSTRAINT admission_results_outcome_check`);
    await q.query(`ALTER TABLE "${S}".admission_results ADD CONSTRAINT admission_results_outcome_check CHECK (outcome IN ('ADMITTED','WAITLISTED','REJECTED','INELIGIBLE'))`);
    await q.query(`ALTER TABLE "${S}".admission_results ADD COLUMN reason text`);
    await q.query(`ALTER TABLE "${S}".admission_runs ADD COLUMN finalised_at timestamptz, ADD COLUMN line_changes_seen bigint`);
    await q.query(`ALTER TABLE "${S}".admission_current ADD COLUMN line_changes bigint NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${S}".admission_current DROP COLUMN line_changes`);
    await q.query(`ALTER TABLE "${S}".admission_runs DROP COLUMN finalised_at, DROP COLUMN line_changes_seen`);
    await q.query(`ALTER TABLE "${S}".admission_results DROP COLUMN reason`);
    await q.query(`DELETE FROM "${S}".admission_results WHERE outcome = 'INELIGIBLE'`);
    await q.query(`ALTER TABLE "${S}".admission_results DROP CONSTRAINT admission_results_outcome_check`);
    await q.query(`ALTER TABLE "${S}".admission_results ADD CONSTRAINT admission_results_outcome_check CHECK (outcome IN ('ADMITTED','WAITLISTED','REJECTED'))`);
    await q.query(`ALTER TABLE "${S}".school_applications DROP COLUMN unmet_conditions`);
  }
}
