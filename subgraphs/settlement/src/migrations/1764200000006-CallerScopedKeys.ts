import type { MigrationInterface, QueryRunner } from 'typeorm';

const S = 'settlement';

/**
 * Idempotency keys are scoped to the caller (docs/domain/09-access.md): another caller's key
 * never returns their result. Keys stored before are kept under a caller no token can be.
 */
export class CallerScopedKeys1764200000006 implements MigrationInterface {
  name = 'CallerScopedKeys1764200000006';

  async up(q: QueryRunner): Promise<void> {
    for (const t of ['school_applications', 'household_applications']) {
      await q.query(`ALTER TABLE "${S}".${t} ADD COLUMN idempotency_caller text`);
      await q.query(`UPDATE "${S}".${t} SET idempotency_caller = '(before caller-scoped keys)' WHERE idempotency_key IS NOT NULL`);
      await q.query(`ALTER TABLE "${S}".${t} DROP CONSTRAINT ${t}_idempotency_key_key`);
      await q.query(`CREATE UNIQUE INDEX ${t}_caller_key ON "${S}".${t} (idempotency_caller, idempotency_key) WHERE idempotency_key IS NOT NULL`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['school_applications', 'household_applications']) {
      await q.query(`DROP INDEX "${S}".${t}_caller_key`);
      await q.query(`ALTER TABLE "${S}".${t} ADD CONSTRAINT ${t}_idempotency_key_key UNIQUE (idempotency_key)`);
      await q.query(`ALTER TABLE "${S}".${t} DROP COLUMN idempotency_caller`);
    }
  }
}
