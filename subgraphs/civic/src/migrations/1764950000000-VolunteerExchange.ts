import type { MigrationInterface, QueryRunner } from 'typeorm';

const S = 'civic';

/**
 * Volunteer points at the points supermarket (docs/domain/08-volunteering.md): a reward item
 * takes CIVIC or VOLUNTEER points. A VOLUNTEER redemption is a saga: civic reserves the stock and
 * keeps the redemption PENDING until volunteering has debited (COMPLETED) or refused (FAILED,
 * the stock released). Its points never touch civic's ledger, so it has no civic ledger
 * transaction and no civic balance.
 */
export class VolunteerExchange1764950000000 implements MigrationInterface {
  name = 'VolunteerExchange1764950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${S}".reward_items ADD COLUMN points_kind text NOT NULL DEFAULT 'CIVIC' CHECK (points_kind IN ('CIVIC', 'VOLUNTEER'))`);
    await q.query(`ALTER TABLE "${S}".redemptions
      ADD COLUMN points_kind text NOT NULL DEFAULT 'CIVIC' CHECK (points_kind IN ('CIVIC', 'VOLUNTEER')),
      ADD COLUMN status text NOT NULL DEFAULT 'COMPLETED' CHECK (status IN ('PENDING', 'COMPLETED', 'FAILED')),
      ADD COLUMN resident_id uuid,
      ADD COLUMN failure text,
      ADD COLUMN settled_at timestamptz,
      ADD COLUMN requested_at timestamptz,
      ADD COLUMN requests int NOT NULL DEFAULT 0 CHECK (requests >= 0),
      ALTER COLUMN ledger_transaction_id DROP NOT NULL,
      ALTER COLUMN balance_after DROP NOT NULL`);
    await q.query(`ALTER TABLE "${S}".redemptions ADD CONSTRAINT redemptions_civic_posted
      CHECK (points_kind = 'VOLUNTEER' OR (ledger_transaction_id IS NOT NULL AND balance_after IS NOT NULL))`);
    await q.query(`ALTER TABLE "${S}".redemptions ADD CONSTRAINT redemptions_volunteer_saga
      CHECK (points_kind = 'CIVIC' OR (resident_id IS NOT NULL AND requested_at IS NOT NULL AND ledger_transaction_id IS NULL))`);
    await q.query(`CREATE INDEX redemptions_pending ON "${S}".redemptions (requested_at) WHERE status = 'PENDING'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS "${S}".redemptions_pending`);
    await q.query(`DELETE FROM "${S}".redemption_lines l USING "${S}".redemptions r WHERE l.redemption_id = r.id AND r.points_kind = 'VOLUNTEER'`);
    await q.query(`DELETE FROM "${S}".redemptions WHERE points_kind = 'VOLUNTEER'`);
    await q.query(`ALTER TABLE "${S}".redemptions DROP CONSTRAINT redemptions_volunteer_saga, DROP CONSTRAINT redemptions_civic_posted`);
    await q.query(`ALTER TABLE "${S}".redemptions ALTER COLUMN balance_after SET NOT NULL, ALTER COLUMN ledger_transaction_id SET NOT NULL,
      DROP COLUMN requests, DROP COLUMN requested_at, DROP COLUMN settled_at, DROP COLUMN failure, DROP COLUMN resident_id, DROP COLUMN status, DROP COLUMN points_kind`);
    await q.query(`DELETE FROM "${S}".reward_items i WHERE points_kind = 'VOLUNTEER' AND NOT EXISTS (SELECT 1 FROM "${S}".redemption_lines l WHERE l.reward_id = i.id)`);
    await q.query(`ALTER TABLE "${S}".reward_items DROP COLUMN points_kind`);
  }
}
