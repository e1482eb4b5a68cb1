import type { TestCity } from '@citypoints/test-city';

/** The subgraphs' schemas, whose tables a watch covers. */
export const SUBGRAPH_SCHEMAS = ['registry', 'settlement', 'civic', 'enterprise_credit', 'social_organisations', 'volunteering'];

export interface WriteWatch {
  /** the committed writes logged after `after` (a previous `last`, or 0), by table */
  since(after: number): Promise<{ last: number; tables: string[] }>;
}

/**
 * Logs every committed write to the tables of the given schemas: a row trigger on each table
 * inserts into a table of the test's own (`fuzz_watch.writes`), so a refused call that wrote
 * anything — and did not roll it back — shows up as new log rows. Projections of registry's
 * entities (the tables with a `versions` column) are left out: a read-through fills them with the
 * owner's facts, which their event brings anyway — a cache, not the call's effect.
 */
export async function watchWrites(city: TestCity, schemas: string[] = SUBGRAPH_SCHEMAS): Promise<WriteWatch> {
  const ds = city.instances.registry.dataSource;
  const tables: { schema: string; table: string }[] = await ds.query(
    `SELECT t.table_schema AS schema, t.table_name AS "table" FROM information_schema.tables t
      WHERE t.table_type = 'BASE TABLE' AND t.table_schema = ANY($1)
        AND NOT EXISTS (SELECT 1 FROM information_schema.columns c WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name AND c.column_name = 'versions' AND t.table_schema <> 'registry')
      ORDER BY 1, 2`,
    [schemas],
  );
  await ds.query(`CREATE SCHEMA fuzz_watch`);
  await ds.query(`CREATE TABLE fuzz_watch.writes (id bigserial PRIMARY KEY, tbl text NOT NULL)`);
  await ds.query(`CREATE FUNCTION fuzz_watch.log_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO fuzz_watch.writes (tbl) VALUES (TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME); RETURN NULL; END $$`);
  for (const t of tables) {
    await ds.query(`CREATE TRIGGER fuzz_watch AFTER INSERT OR UPDATE OR DELETE ON "${t.schema}"."${t.table}" FOR EACH ROW EXECUTE FUNCTION fuzz_watch.log_write()`);
  }
  return {
    async since(after: number) {
      const rows: { id: string; tbl: string }[] = await ds.query(`SELECT id, tbl FROM fuzz_watch.writes WHERE id > $1 ORDER BY id`, [after]);
      return { last: rows.length ? Number(rows[rows.length - 1].id) : after, tables: [...new Set(rows.map((r) => r.tbl))] };
    },
  };
}
