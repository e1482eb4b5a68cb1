import type { MigrationInterface, QueryRunner } from 'typeorm';

const S = 'volunteering';

/**
 * Why a supermarket redemption was refused: for want of points, or because civic gave it up
 * (`civic.volunteer-redemption.cancelled`) before volunteering had decided. A debit has no cause.
 * The decision stays final either way: a cancellation after a debit is answered DEBITED.
 */
export class SupermarketCancellation1764960000000 implements MigrationInterface {
  name = 'SupermarketCancellation1764960000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${S}".supermarket_debits ADD COLUMN cause text CHECK (cause IN ('INSUFFICIENT_POINTS', 'ABANDONED'))`);
    await q.query(`UPDATE "${S}".supermarket_debits SET cause = 'INSUFFICIENT_POINTS' WHERE outcome = 'REFUSED'`);
    await q.query(`ALTER TABLE "${S}".supermarket_debits ADD CONSTRAINT supermarket_debits_cause CHECK ((outcome = 'REFUSED') = (cause IS NOT NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${S}".supermarket_debits DROP CONSTRAINT supermarket_debits_cause`);
    await q.query(`ALTER TABLE "${S}".supermarket_debits DROP COLUMN cause`);
  }
}
