import type { MigrationInterface, QueryRunner } from 'typeorm';
import { eventVersionsMigrationSql } from '@citypoints/events';

const S = 'registry';

/** Every event this subgraph publishes carries its aggregate's version. */
export class EventVersions1764900000000 implements MigrationInterface {
  name = 'EventVersions1764900000000';

  async up(q: QueryRunner): Promise<void> {
    for (const s of eventVersionsMigrationSql(S).up) await q.query(s);

  }

  async down(q: QueryRunner): Promise<void> {

    for (const s of eventVersionsMigrationSql(S).down) await q.query(s);
  }
}
