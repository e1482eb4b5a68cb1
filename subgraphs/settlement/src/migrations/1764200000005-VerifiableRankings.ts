import type { MigrationInterface, QueryRunner } from 'typeorm';

const S = 'settlement';

/** Each admission run keeps its canonical input document and the digests of its inputs and output (docs/verifiable-rankings.md). */
export class VerifiableRankings1764200000005 implements MigrationInterface {
  name = 'VerifiableRankings1764200000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${S}".admission_runs ADD COLUMN input_document text, ADD COLUMN input_digest text, ADD COLUMN output_digest text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${S}".admission_runs DROP COLUMN input_document, DROP COLUMN input_digest, DROP COLUMN output_digest`);
  }
}
