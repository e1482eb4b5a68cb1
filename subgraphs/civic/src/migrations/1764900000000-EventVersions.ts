import type { MigrationInterface, QueryRunner } from 'typeorm';
import { eventVersionsMigrationSql } from '@citypoints/events';

const S = 'civic';

/** Events carry their aggregate's version; the resident projection keeps the highest per field group instead of a timestamp. */
export class EventVersions1764900000000 implements MigrationInterface {
  name = 'EventVersions1764900000000';

  async up(q: QueryRunner): Promise<void> {
    for (const s of eventVersionsMigrationSql(S).up) await q.query(s);
    await q.query(`ALTER TABLE "${S}".residents ADD COLUMN versions jsonb NOT NULL DEFAULT '{}', DROP COLUMN updated_at`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${S}".residents DROP COLUMN versions, ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()`);
    for (const s of eventVersionsMigrationSql(S).down) await q.query(s);
  }
}
