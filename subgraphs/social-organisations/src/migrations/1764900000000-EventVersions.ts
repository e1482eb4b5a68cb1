import type { MigrationInterface, QueryRunner } from 'typeorm';
import { eventVersionsMigrationSql } from '@citypoints/events';

const S = 'social_organisations';

/**
 * Events carry their aggregate's version: the organisation projection keeps the highest per field
 * group, and memberships and credit records are kept as facts so member effects can be derived
 * from them whichever arrives first.
 */
export class EventVersions1764900000000 implements MigrationInterface {
  name = 'EventVersions1764900000000';

  async up(q: QueryRunner): Promise<void> {
    for (const s of eventVersionsMigrationSql(S).up) await q.query(s);
    await q.query(`ALTER TABLE "${S}".organisations ADD COLUMN versions jsonb NOT NULL DEFAULT '{}'`);
    // the latest membership fact per pair (registry versions memberships per organisation)
    await q.query(`CREATE TABLE "${S}".membership_facts (
      organisation_uscc text NOT NULL,
      enterprise_uscc text NOT NULL,
      member boolean NOT NULL,
      version bigint NOT NULL,
      PRIMARY KEY (organisation_uscc, enterprise_uscc)
    )`);
    await q.query(`INSERT INTO "${S}".membership_facts (organisation_uscc, enterprise_uscc, member, version)
      SELECT organisation_uscc, enterprise_uscc, true, 0 FROM "${S}".memberships`);
    await q.query(`CREATE TABLE "${S}".credit_record_facts (
      record_id text PRIMARY KEY,
      uscc text NOT NULL,
      kind text NOT NULL,
      -- unknown while only the repair has arrived
      occurred_on date,
      repaired_at timestamptz
    )`);
    await q.query(`CREATE INDEX credit_record_facts_uscc ON "${S}".credit_record_facts (uscc)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${S}".credit_record_facts`);
    await q.query(`DROP TABLE "${S}".membership_facts`);
    await q.query(`ALTER TABLE "${S}".organisations DROP COLUMN versions`);
    for (const s of eventVersionsMigrationSql(S).down) await q.query(s);
  }
}
