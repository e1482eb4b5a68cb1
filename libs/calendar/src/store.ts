import type { EntityManager, MigrationInterface, QueryRunner } from 'typeorm';
import { assertIdentifier } from '@citypoints/db';
import { WorkingDayCalendar, type CalendarDay, type CalendarDayKind, type CalendarYear, type WorkingDayCalendarOptions } from './calendar';
import { STATE_COUNCIL_CALENDARS } from './state-council';

type Queryable = Pick<EntityManager, 'query'>;

/** DDL of the calendar tables in a subgraph's own schema; idempotent, so a later migration may run it again. */
export function calendarTablesSql(schema: string): string[] {
  assertIdentifier(schema);
  return [
    `CREATE TABLE IF NOT EXISTS "${schema}".calendar_years (
      year int PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
      source text NOT NULL,
      loaded_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE TABLE IF NOT EXISTS "${schema}".calendar_days (
      day date PRIMARY KEY,
      year int NOT NULL REFERENCES "${schema}".calendar_years(year) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('HOLIDAY','WORKDAY')),
      name text NOT NULL,
      CHECK (extract(year FROM day)::int = year)
    )`,
  ];
}

/** Stores a year's arrangement, replacing whatever the year held. */
export async function saveCalendarYear(q: Queryable, schema: string, y: CalendarYear): Promise<void> {
  assertIdentifier(schema);
  new WorkingDayCalendar([y]);
  await q.query(
    `INSERT INTO "${schema}".calendar_years (year, source) VALUES ($1, $2) ON CONFLICT (year) DO UPDATE SET source = EXCLUDED.source, loaded_at = now()`,
    [y.year, y.source],
  );
  await q.query(`DELETE FROM "${schema}".calendar_days WHERE year = $1`, [y.year]);
  await q.query(`INSERT INTO "${schema}".calendar_days (day, year, kind, name) SELECT d::date, $1, k, n FROM unnest($2::text[], $3::text[], $4::text[]) AS x(d, k, n)`, [
    y.year,
    y.days.map((d) => d.day),
    y.days.map((d) => d.kind),
    y.days.map((d) => d.name),
  ]);
}

/** The calendar as the subgraph's tables hold it (a few dozen rows a year). */
export async function loadCalendar(q: Queryable, schema: string, opts: WorkingDayCalendarOptions = {}): Promise<WorkingDayCalendar> {
  assertIdentifier(schema);
  const rows: { year: number; source: string; days: { day: string; kind: CalendarDayKind; name: string }[] | null }[] = await q.query(
    `SELECT y.year, y.source,
            (SELECT json_agg(json_build_object('day', to_char(d.day, 'YYYY-MM-DD'), 'kind', d.kind, 'name', d.name) ORDER BY d.day)
               FROM "${schema}".calendar_days d WHERE d.year = y.year) AS days
     FROM "${schema}".calendar_years y ORDER BY y.year`,
  );
  return new WorkingDayCalendar(
    rows.map((r) => ({ year: r.year, source: r.source, days: (r.days ?? []) as CalendarDay[] })),
    opts,
  );
}

/** A TypeORM migration class (the constructor TypeORM instantiates). */
export type MigrationClass = new () => MigrationInterface;

/**
 * The migration a subgraph adds to its own list: creates the calendar tables in its schema (if
 * missing) and stores the given years — by default the State Council arrangements this lib
 * ships. `timestamp` (13 digits, as TypeORM orders migrations) makes the class name unique; a
 * later year arrives as another migration from this factory with a later timestamp.
 */
export function calendarMigration(schema: string, timestamp: number, years: readonly CalendarYear[] = STATE_COUNCIL_CALENDARS): MigrationClass {
  assertIdentifier(schema);
  if (!/^\d{13}$/.test(String(timestamp))) throw new Error(`a migration timestamp has 13 digits: ${timestamp}`);
  const name = `WorkingDayCalendar${timestamp}`;
  const migration = class implements MigrationInterface {
    name = name;
    async up(q: QueryRunner): Promise<void> {
      for (const s of calendarTablesSql(schema)) await q.query(s);
      for (const y of years) await saveCalendarYear(q, schema, y);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DELETE FROM "${schema}".calendar_years WHERE year = ANY($1::int[])`, [years.map((y) => y.year)]);
      const left = await q.query(`SELECT 1 FROM "${schema}".calendar_years LIMIT 1`);
      if (!left.length) {
        await q.query(`DROP TABLE "${schema}".calendar_days`);
        await q.query(`DROP TABLE "${schema}".calendar_years`);
      }
    }
  };
  Object.defineProperty(migration, 'name', { value: name });
  return migration;
}
