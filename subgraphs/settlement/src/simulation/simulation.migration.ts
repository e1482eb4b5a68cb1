import type { MigrationInterface, QueryRunner } from 'typeorm';

const S = 'settlement';

/**
 * What-if simulations of a draft scheme: the request and, once the job has run, its summary.
 * Status, progress and error live on the simulation's job run (same id).
 */
export class SchemeSimulations1764200000095 implements MigrationInterface {
  name = 'SchemeSimulations1764200000095';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "${S}".scheme_simulations (
      id uuid PRIMARY KEY REFERENCES "${S}".job_runs(id),
      kind text NOT NULL CHECK (kind IN ('SCHOOL_ADMISSION','HOUSEHOLD_REGISTRATION')),
      year int NOT NULL,
      town_code text,
      definition jsonb NOT NULL,
      requested_by text NOT NULL,
      applications int,
      changed_eligibility int,
      changed_placement int,
      point_changes jsonb,
      movers jsonb,
      cutoff_changes jsonb
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${S}".scheme_simulations`);
  }
}
