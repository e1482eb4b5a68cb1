import type { MigrationInterface, QueryRunner } from 'typeorm';

const S = 'civic';

/**
 * An objection stops the publicity window's clock until a reviewer rules; after a dismissal the
 * time that was left runs again (docs/domain/04-civic-cards.md). A paused window keeps when it stopped and what
 * was left of it.
 */
export class PausedPublicity1764800000000 implements MigrationInterface {
  name = 'PausedPublicity1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${S}".records ADD COLUMN publicity_paused_at timestamptz, ADD COLUMN publicity_remaining_ms bigint CHECK (publicity_remaining_ms >= 0)`);
    // records objected to before this migration: the window they had left when the objection came
    await q.query(`UPDATE "${S}".records r SET publicity_paused_at = o.first_at,
        publicity_remaining_ms = greatest(0, floor(extract(epoch FROM r.publicised_until - o.first_at) * 1000))::bigint, publicised_until = NULL
      FROM (SELECT record_id, min(raised_at) AS first_at FROM "${S}".objections WHERE ruled_at IS NULL GROUP BY record_id) o
      WHERE r.id = o.record_id AND r.status = 'OBJECTED'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE "${S}".records SET publicised_until = publicity_paused_at + publicity_remaining_ms * interval '1 millisecond' WHERE status = 'OBJECTED' AND publicity_paused_at IS NOT NULL`);
    await q.query(`ALTER TABLE "${S}".records DROP COLUMN publicity_remaining_ms, DROP COLUMN publicity_paused_at`);
  }
}
