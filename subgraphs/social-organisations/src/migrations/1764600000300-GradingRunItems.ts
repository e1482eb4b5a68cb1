import type { MigrationInterface, QueryRunner } from 'typeorm';

const S = 'social_organisations';

/** Which organisations each grading run graded, and how often: a run grades each exactly once. */
export class GradingRunItems1764600000300 implements MigrationInterface {
  name = 'GradingRunItems1764600000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "${S}".grading_run_items (
      run_id uuid NOT NULL REFERENCES "${S}".job_runs(id),
      uscc text NOT NULL,
      times int NOT NULL DEFAULT 1,
      PRIMARY KEY (run_id, uscc)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${S}".grading_run_items`);
  }
}
