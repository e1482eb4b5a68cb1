import type { MigrationInterface, QueryRunner } from 'typeorm';
import { eventVersionsMigrationSql } from '@citypoints/events';

const S = 'volunteering';

/** Events carry their aggregate's version; the resident projection keeps the highest per field group instead of timestamps. */
export class EventVersions1764900000000 implements MigrationInterface {
  name = 'EventVersions1764900000000';

  async up(q: QueryRunner): Promise<void> {
    for (const s of eventVersionsMigrationSql(S).up) await q.query(s);
    await q.query(`ALTER TABLE "${S}".residents ADD COLUMN versions jsonb NOT NULL DEFAULT '{}', DROP COLUMN state_at, DROP COLUMN household_at`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${S}".residents DROP COLUMN versions, ADD COLUMN state_at timestamptz, ADD COLUMN household_at timestamptz`);
    for (const s of eventVersionsMigrationSql(S).down) await q.query(s);
  }
}
