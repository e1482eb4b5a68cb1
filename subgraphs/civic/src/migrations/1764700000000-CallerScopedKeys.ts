import type { MigrationInterface, QueryRunner } from 'typeorm';

const S = 'civic';

/**
 * Idempotency keys are scoped to the caller (docs/domain/09-access.md): unique per (caller, key) instead of
 * per key (or per card and key), so one caller can neither squat nor read another's key. Rows
 * unique under the old constraints are unique under the new ones.
 */
export class CallerScopedKeys1764700000000 implements MigrationInterface {
  name = 'CallerScopedKeys1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${S}".records DROP CONSTRAINT records_idempotency_key_key,
      ADD CONSTRAINT records_caller_key UNIQUE (registered_by, idempotency_key)`);
    await q.query(`ALTER TABLE "${S}".green_collections DROP CONSTRAINT green_collections_idempotency_key_key,
      ADD CONSTRAINT green_collections_caller_key UNIQUE (recorded_by, idempotency_key)`);
    await q.query(`ALTER TABLE "${S}".redemptions DROP CONSTRAINT redemptions_card_no_idempotency_key_key,
      ADD CONSTRAINT redemptions_caller_key UNIQUE (redeemed_by, idempotency_key)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${S}".redemptions DROP CONSTRAINT redemptions_caller_key, ADD CONSTRAINT redemptions_card_no_idempotency_key_key UNIQUE (card_no, idempotency_key)`);
    await q.query(`ALTER TABLE "${S}".green_collections DROP CONSTRAINT green_collections_caller_key, ADD CONSTRAINT green_collections_idempotency_key_key UNIQUE (idempotency_key)`);
    await q.query(`ALTER TABLE "${S}".records DROP CONSTRAINT records_caller_key, ADD CONSTRAINT records_idempotency_key_key UNIQUE (idempotency_key)`);
  }
}
