import type { MigrationInterface, QueryRunner } from 'typeorm';

const S = 'settlement';

/** Publicity (公示) of an admission run and the re-checks applicants ask for during it. */
export class Publicity1764200000001 implements MigrationInterface {
  name = 'Publicity1764200000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "${S}".settings (key text PRIMARY KEY, value jsonb NOT NULL, note text NOT NULL)`);
    await q.query(`INSERT INTO "${S}".settings (key, value, note) VALUES ('school_publicity_working_days', '5', 'how long a ranked list stays public for re-check requests (DG)')`);
    await q.query(`ALTER TABLE "${S}".admission_runs ADD COLUMN publicised_on date, ADD COLUMN publicity_until date`);
    await q.query(`CREATE TABLE "${S}".rechecks (
      id bigserial PRIMARY KEY,
      application_no text NOT NULL REFERENCES "${S}".school_applications(application_no),
      code text NOT NULL,
      reason text NOT NULL,
      requested_by text NOT NULL,
      requested_at timestamptz NOT NULL,
      answered_by text,
      answered_at timestamptz,
      answer jsonb
    )`);
    await q.query(`CREATE UNIQUE INDEX rechecks_one_open ON "${S}".rechecks (application_no, code) WHERE answered_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${S}".rechecks`);
    await q.query(`ALTER TABLE "${S}".admission_runs DROP COLUMN publicised_on, DROP COLUMN publicity_until`);
    await q.query(`DROP TABLE "${S}".settings`);
  }
}
