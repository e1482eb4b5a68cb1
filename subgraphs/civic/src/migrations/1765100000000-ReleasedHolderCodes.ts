import type { MigrationInterface, QueryRunner } from 'typeorm';

const S = 'civic';

/**
 * A holder's one-time code pays for one redemption that stands: the compensating step of a failed
 * volunteer-points redemption gives the code back to the holder (docs/domain/08-volunteering.md),
 * and the failed redemption keeps naming it (what authorises a replay of its answer), so the
 * uniqueness holds among the redemptions that did not fail.
 */
export class ReleasedHolderCodes1765100000000 implements MigrationInterface {
  name = 'ReleasedHolderCodes1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${S}".redemptions DROP CONSTRAINT redemptions_holder_code_id_key`);
    await q.query(`CREATE UNIQUE INDEX redemptions_holder_code ON "${S}".redemptions (holder_code_id) WHERE status <> 'FAILED'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "${S}".redemptions_holder_code`);
    // a code given back and spent again is named by two redemptions: the failed one lets it go
    await q.query(
      `UPDATE "${S}".redemptions f SET holder_code_id = NULL WHERE f.status = 'FAILED'
        AND EXISTS (SELECT 1 FROM "${S}".redemptions o WHERE o.holder_code_id = f.holder_code_id AND o.id <> f.id AND o.status <> 'FAILED')`,
    );
    await q.query(`ALTER TABLE "${S}".redemptions ADD CONSTRAINT redemptions_holder_code_id_key UNIQUE (holder_code_id)`);
  }
}
