import type { MigrationInterface, QueryRunner } from 'typeorm';

const S = 'social_organisations';

/** Idempotency keys belong to the caller who entered the record (docs/domain/09-access.md): one caller's key never names another's record. */
export class CallerScopedKeys1764600000100 implements MigrationInterface {
  name = 'CallerScopedKeys1764600000100';

  async up(q: QueryRunner): Promise<void> {
    for (const t of ['indicator_records', 'violations']) {
      await q.query(`ALTER TABLE "${S}".${t} DROP CONSTRAINT ${t}_idempotency_key_key`);
      await q.query(`ALTER TABLE "${S}".${t} ADD CONSTRAINT ${t}_caller_key UNIQUE (entered_by, idempotency_key)`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['indicator_records', 'violations']) {
      await q.query(`ALTER TABLE "${S}".${t} DROP CONSTRAINT ${t}_caller_key`);
      await q.query(`ALTER TABLE "${S}".${t} ADD CONSTRAINT ${t}_idempotency_key_key UNIQUE (idempotency_key)`);
    }
  }
}
