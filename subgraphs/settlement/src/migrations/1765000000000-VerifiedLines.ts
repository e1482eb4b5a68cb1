import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DG_HUKOU_VERIFIED, DG_HUKOU_VERIFIED_YEAR, DG_SCHOOL_VERIFIED, DG_SCHOOL_VERIFIED_YEAR } from './default-schemes';

const S = 'settlement';

/**
 * Lines verified from the city's own records (docs/domain/01-school-admission.md): the record
 * facts settlement keeps from other subgraphs' events, and new versions of the default schemes
 * declaring the volunteer-hours lines verified from volunteering. Earlier versions stay and keep
 * explaining the applications scored under them.
 */
export class VerifiedLines1765000000000 implements MigrationInterface {
  name = 'VerifiedLines1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "${S}".record_facts (
      key text PRIMARY KEY,
      source text NOT NULL,
      fact text NOT NULL,
      resident_id uuid NOT NULL,
      amount numeric NOT NULL,
      occurred_at timestamptz NOT NULL,
      versions jsonb NOT NULL DEFAULT '{}'
    )`);
    await q.query(`CREATE INDEX record_facts_resident ON "${S}".record_facts (resident_id, source, fact, occurred_at)`);
    const publish = `INSERT INTO "${S}".schemes (kind, code, year, version, threshold, definition, published_by)
       SELECT $1, $2, $3, COALESCE(MAX(version), 0) + 1, $4, $5::jsonb, 'migration' FROM "${S}".schemes WHERE kind = $1 AND code = $2`;
    await q.query(publish, ['SCHOOL_ADMISSION', 'DG-SCHOOL', DG_SCHOOL_VERIFIED_YEAR, null, JSON.stringify(DG_SCHOOL_VERIFIED)]);
    await q.query(publish, ['HOUSEHOLD_REGISTRATION', 'DG-HUKOU', DG_HUKOU_VERIFIED_YEAR, DG_HUKOU_VERIFIED.threshold, JSON.stringify(DG_HUKOU_VERIFIED)]);
  }

  async down(q: QueryRunner): Promise<void> {
    // a version that scored applications stays: only the unused ones this migration added go
    await q.query(
      `DELETE FROM "${S}".schemes s WHERE s.published_by = 'migration' AND s.definition::text LIKE '%verifiedFrom%'
         AND NOT EXISTS (SELECT 1 FROM "${S}".school_applications a WHERE a.scheme_id = s.id)
         AND NOT EXISTS (SELECT 1 FROM "${S}".household_applications h WHERE h.scheme_id = s.id)`,
    );
    await q.query(`DROP TABLE "${S}".record_facts`);
  }
}
