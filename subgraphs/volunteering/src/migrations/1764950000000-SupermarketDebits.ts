import type { MigrationInterface, QueryRunner } from 'typeorm';

const S = 'volunteering';

/**
 * Volunteering's side of a volunteer-points redemption at the points supermarket: the first
 * decision on a redemption (debited, or refused for want of points) is final, so a repeated
 * request is answered the same way and never debits twice.
 */
export class SupermarketDebits1764950000000 implements MigrationInterface {
  name = 'SupermarketDebits1764950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "${S}".supermarket_debits (
      redemption_id uuid PRIMARY KEY,
      resident_id uuid NOT NULL,
      points int NOT NULL CHECK (points > 0),
      outcome text NOT NULL CHECK (outcome IN ('DEBITED', 'REFUSED')),
      ledger_transaction_id uuid,
      balance_after int CHECK (balance_after >= 0),
      decided_at timestamptz NOT NULL,
      CHECK ((outcome = 'DEBITED') = (ledger_transaction_id IS NOT NULL))
    )`);
    await q.query(`CREATE INDEX supermarket_debits_resident ON "${S}".supermarket_debits (resident_id, decided_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "${S}".supermarket_debits`);
  }
}
