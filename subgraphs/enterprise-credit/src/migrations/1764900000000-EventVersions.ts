import type { MigrationInterface, QueryRunner } from 'typeorm';
import { eventVersionsMigrationSql } from '@citypoints/events';

const S = 'enterprise_credit';

/** Events carry their aggregate's version; the enterprise projection keeps the highest per field group. */
export class EventVersions1764900000000 implements MigrationInterface {
  name = 'EventVersions1764900000000';

  async up(q: QueryRunner): Promise<void> {
    for (const s of eventVersionsMigrationSql(S).up) await q.query(s);
    await q.query(`ALTER TABLE "${S}".enterprises ADD COLUMN versions jsonb NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${S}".enterprises DROP COLUMN versions`);
    for (const s of eventVersionsMigrationSql(S).down) await q.query(s);
  }
}
