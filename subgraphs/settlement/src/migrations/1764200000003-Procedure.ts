import type { MigrationInterface, QueryRunner } from 'typeorm';
import { calendarMigration } from '@citypoints/calendar';

const S = 'settlement';

/** The working-day calendar (libs/calendar) in settlement's schema, with the State Council arrangements it ships. */
export const Calendar1764200000002 = calendarMigration(S, 1764200000002);

/**
 * Hukou stages are due counted from the day the previous stage actually completed: a stage after
 * an unfinished one has a projected due date, or none when the projection reaches a year without
 * a calendar. The holiday list this subgraph kept is replaced by the calendar.
 */
export class Procedure1764200000003 implements MigrationInterface {
  name = 'Procedure1764200000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${S}".household_stages ALTER COLUMN due_date DROP NOT NULL`);
    await q.query(`DROP TABLE "${S}".holidays`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "${S}".holidays (day date PRIMARY KEY, name text NOT NULL)`);
    await q.query(`INSERT INTO "${S}".holidays (day, name) SELECT day, name FROM "${S}".calendar_days WHERE kind = 'HOLIDAY' AND extract(isodow FROM day) < 6`);
    await q.query(`UPDATE "${S}".household_stages SET due_date = '1970-01-01' WHERE due_date IS NULL`);
    await q.query(`ALTER TABLE "${S}".household_stages ALTER COLUMN due_date SET NOT NULL`);
  }
}
