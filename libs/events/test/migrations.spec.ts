import { createTestDatabase, openSubgraphDataSource, sqlMigration, type DataSource, type TestDatabase } from '@citypoints/db';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { eventsMigrationSql, eventTraceMigration, eventTraceMigrationSql, eventVersionsMigration, eventVersionsMigrationSql } from '../src';

const S = 'mig_events';

/** The events tables, as a subgraph's Init migration creates them. */
class Init1700000000000 extends sqlMigration(eventsMigrationSql(S)) {
  name = 'Init1700000000000';
}
/** The shared versioning step with a subgraph's own statements of that step. */
class EventVersions1700000000001 extends eventVersionsMigration(S, {
  up: [`CREATE TABLE "${S}".residents (id text PRIMARY KEY, versions jsonb NOT NULL DEFAULT '{}')`],
  down: [`DROP TABLE "${S}".residents`],
}) {
  name = 'EventVersions1700000000001';
}
class EventTraceContext1700000000002 extends eventTraceMigration(S) {
  name = 'EventTraceContext1700000000002';
}

/** The same two steps written out by hand, as the subgraphs' migration files had them before the factory. */
class HandWrittenVersions1700000000001 implements MigrationInterface {
  name = 'EventVersions1700000000001';
  async up(q: QueryRunner): Promise<void> {
    for (const s of eventVersionsMigrationSql(S).up) await q.query(s);
    await q.query(`CREATE TABLE "${S}".residents (id text PRIMARY KEY, versions jsonb NOT NULL DEFAULT '{}')`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${S}".residents`);
    for (const s of eventVersionsMigrationSql(S).down) await q.query(s);
  }
}
class HandWrittenTrace1700000000002 implements MigrationInterface {
  name = 'EventTraceContext1700000000002';
  async up(q: QueryRunner): Promise<void> {
    for (const s of eventTraceMigrationSql(S).up) await q.query(s);
  }
  async down(q: QueryRunner): Promise<void> {
    for (const s of eventTraceMigrationSql(S).down) await q.query(s);
  }
}

describe('the events migrations a subgraph extends', () => {
  let db: TestDatabase;
  const open: DataSource[] = [];
  const openWith = async (migrations: (new () => MigrationInterface)[]) => {
    const ds = await openSubgraphDataSource({ url: db.url, schema: S, entities: [], migrations, statementTimeoutMs: 0 });
    open.push(ds);
    return ds;
  };
  const columns = async (ds: DataSource, table: string): Promise<string[]> =>
    (await ds.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY column_name`, [S, table])).map((r: { column_name: string }) => r.column_name);
  const applied = async (ds: DataSource): Promise<string[]> => (await ds.query(`SELECT name FROM "${S}".migrations ORDER BY id`)).map((r: { name: string }) => r.name);

  beforeEach(async () => {
    db = await createTestDatabase('events_migrations');
  });
  afterEach(async () => {
    for (const ds of open.splice(0)) await ds.destroy();
    await db?.drop();
  });

  it('applies the shared statements and the subgraph\'s own, and undoes them in reverse', async () => {
    const ds = await openWith([Init1700000000000, EventVersions1700000000001, EventTraceContext1700000000002]);
    expect(await applied(ds)).toEqual(['Init1700000000000', 'EventVersions1700000000001', 'EventTraceContext1700000000002']);
    expect(await columns(ds, 'outbox')).toEqual(expect.arrayContaining(['version', 'schema_version', 'traceparent']));
    expect(await columns(ds, 'outbox_sequence')).toEqual(['aggregate_id', 'stream', 'version']);
    expect(await columns(ds, 'residents')).toEqual(['id', 'versions']);

    await ds.undoLastMigration();
    expect(await columns(ds, 'outbox')).not.toContain('traceparent');
    await ds.undoLastMigration();
    expect(await columns(ds, 'outbox')).not.toEqual(expect.arrayContaining(['version']));
    expect(await columns(ds, 'outbox')).not.toContain('schema_version');
    expect(await columns(ds, 'outbox_sequence')).toEqual([]);
    expect(await columns(ds, 'residents')).toEqual([]);
    expect(await applied(ds)).toEqual(['Init1700000000000']);
  });

  it('finds nothing pending in a database the hand-written migrations of the same names brought up', async () => {
    const before = await openWith([Init1700000000000, HandWrittenVersions1700000000001, HandWrittenTrace1700000000002]);
    expect(await applied(before)).toEqual(['Init1700000000000', 'EventVersions1700000000001', 'EventTraceContext1700000000002']);
    const after = await openWith([Init1700000000000, EventVersions1700000000001, EventTraceContext1700000000002]);
    expect(await after.showMigrations()).toBe(false);
    expect(await applied(after)).toEqual(['Init1700000000000', 'EventVersions1700000000001', 'EventTraceContext1700000000002']);
  });
});
