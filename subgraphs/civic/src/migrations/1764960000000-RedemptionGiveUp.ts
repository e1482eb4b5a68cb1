import type { MigrationInterface, QueryRunner } from 'typeorm';

const S = 'civic';

/**
 * The give-up rule of the volunteer-points saga (docs/domain/08-volunteering.md): a redemption
 * pending longer than the configured bound is abandoned — civic asks volunteering to cancel it
 * and keeps asking until it answers. `abandoned_at` is when civic gave up; once set, the recovery
 * job asks only for the cancellation. An abandoned redemption that volunteering refused ends
 * FAILED with failure ABANDONED, one it had debited before the cancellation ends COMPLETED.
 */
export class RedemptionGiveUp1764960000000 implements MigrationInterface {
  name = 'RedemptionGiveUp1764960000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${S}".redemptions ADD COLUMN abandoned_at timestamptz`);
    await q.query(`ALTER TABLE "${S}".redemptions ADD CONSTRAINT redemptions_abandoned_volunteer CHECK (abandoned_at IS NULL OR points_kind = 'VOLUNTEER')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${S}".redemptions DROP CONSTRAINT redemptions_abandoned_volunteer`);
    await q.query(`ALTER TABLE "${S}".redemptions DROP COLUMN abandoned_at`);
  }
}
