import type { MigrationInterface, QueryRunner } from 'typeorm';

const S = 'social_organisations';

/**
 * What tells a repair from an expiry when a member enterprise leaves BLACK: the cause its status
 * event gives, and the repairs enterprise-credit announced (with the time it wrote them).
 */
export class BlacklistingLifts1764600000200 implements MigrationInterface {
  name = 'BlacklistingLifts1764600000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${S}".credit_status_turns ADD COLUMN cause text, ADD COLUMN event_at timestamptz`);
    await q.query(`UPDATE "${S}".credit_status_turns SET event_at = changed_at`);
    await q.query(`ALTER TABLE "${S}".credit_status_turns ALTER COLUMN event_at SET NOT NULL`);
    await q.query(`CREATE TABLE "${S}".credit_repairs (
      event_id uuid PRIMARY KEY,
      record_id text NOT NULL,
      uscc text NOT NULL,
      kind text NOT NULL,
      event_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX credit_repairs_uscc ON "${S}".credit_repairs (uscc, event_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${S}".credit_repairs`);
    await q.query(`ALTER TABLE "${S}".credit_status_turns DROP COLUMN cause, DROP COLUMN event_at`);
  }
}
