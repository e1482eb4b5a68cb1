import type { MigrationInterface, QueryRunner } from 'typeorm';

const S = 'settlement';

/** Attempts at the public admission lookup, counted per window for its rate limits (the limits are settings). */
export class LookupAttempts1764200000090 implements MigrationInterface {
  name = 'LookupAttempts1764200000090';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "${S}".lookup_attempts (
      key text NOT NULL,
      window_start timestamptz NOT NULL,
      attempts int NOT NULL,
      PRIMARY KEY (key, window_start)
    )`);
    await q.query(`CREATE INDEX lookup_attempts_window ON "${S}".lookup_attempts (window_start)`);
    await q.query(
      `INSERT INTO "${S}".settings (key, value, note) VALUES
        ('lookup_limit_per_address', '{"attempts": 20, "windowSeconds": 600}', 'public admission lookups one client address may make per window'),
        ('lookup_limit_per_application', '{"attempts": 10, "windowSeconds": 600}', 'public admission lookups of one application number per window, from any address')
       ON CONFLICT (key) DO NOTHING`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM "${S}".settings WHERE key IN ('lookup_limit_per_address', 'lookup_limit_per_application')`);
    await q.query(`DROP TABLE "${S}".lookup_attempts`);
  }
}
