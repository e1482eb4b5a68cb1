import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DEFAULT_CREDIT_SCHEME } from '../seed/schemes.data';

const S = 'enterprise_credit';

/**
 * Feeds per department (docs/domain/05-enterprise-credit.md, 06-labour-risk.md, 09-access.md): the credit scheme names the departments that
 * record each kind; a labour report is keyed by its department too, so one department's feed
 * never overwrites another's; idempotency keys belong to the caller that used them.
 */
export class FeedsPerDepartment1764500000300 implements MigrationInterface {
  name = 'FeedsPerDepartment1764500000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE "${S}".credit_schemes SET definition = definition || jsonb_build_object('recorders', $1::jsonb) WHERE NOT definition ? 'recorders'`, [
      JSON.stringify(DEFAULT_CREDIT_SCHEME.definition.recorders),
    ]);
    await q.query(`ALTER TABLE "${S}".labour_reports DROP CONSTRAINT labour_reports_pkey, ADD PRIMARY KEY (uscc, period, source, department)`);
    await q.query(`ALTER TABLE "${S}".credit_records DROP CONSTRAINT credit_records_idempotency_key_key, ADD CONSTRAINT credit_records_key_per_caller UNIQUE (recorded_by, idempotency_key)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${S}".credit_records DROP CONSTRAINT credit_records_key_per_caller, ADD CONSTRAINT credit_records_idempotency_key_key UNIQUE (idempotency_key)`);
    await q.query(`ALTER TABLE "${S}".labour_reports DROP CONSTRAINT labour_reports_pkey, ADD PRIMARY KEY (uscc, period, source)`);
    await q.query(`UPDATE "${S}".credit_schemes SET definition = definition - 'recorders'`);
  }
}
