import type { MigrationInterface, QueryRunner } from 'typeorm';
import { eventTraceMigrationSql } from '@citypoints/events';

const S = 'registry';

/** Each event keeps the trace context of the request that published it, for its consumers to continue. */
export class EventTraceContext1765000000000 implements MigrationInterface {
  name = 'EventTraceContext1765000000000';

  async up(q: QueryRunner): Promise<void> {
    for (const s of eventTraceMigrationSql(S).up) await q.query(s);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const s of eventTraceMigrationSql(S).down) await q.query(s);
  }
}
