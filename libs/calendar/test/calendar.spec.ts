import { createTestDatabase, DataSource, openSubgraphDataSource, type TestDatabase } from '@citypoints/db';
import { CalendarMissingError, calendarMigration, loadCalendar, saveCalendarYear, STATE_COUNCIL_CALENDARS, WorkingDayCalendar } from '../src';

const shipped = new WorkingDayCalendar(STATE_COUNCIL_CALENDARS);

describe('working days of the State Council arrangement', () => {
  it('takes a weekday holiday off and works an adjusted weekend', () => {
    expect(shipped.isWorkingDay('2026-02-16')).toBe(false); // Monday, Spring Festival
    expect(shipped.isWorkingDay('2026-02-14')).toBe(true); // Saturday worked for it
    expect(shipped.isWorkingDay('2026-02-28')).toBe(true);
    expect(shipped.isWorkingDay('2026-01-04')).toBe(true); // Sunday worked for New Year
    expect(shipped.isWorkingDay('2026-02-21')).toBe(false); // a Saturday inside the break
    expect(shipped.isWorkingDay('2026-03-10')).toBe(true); // an ordinary Tuesday
    expect(shipped.isWorkingDay('2026-03-14')).toBe(false); // an ordinary Saturday
    expect(shipped.isWorkingDay('2026-10-10')).toBe(true);
    expect(shipped.isWorkingDay('2025-01-26')).toBe(true);
    expect(shipped.isWorkingDay('2025-10-08')).toBe(false);
  });

  it('counts n working days after a day, over holidays and onto adjusted working days', () => {
    expect(shipped.addWorkingDays('2026-03-10', 2)).toBe('2026-03-12');
    expect(shipped.addWorkingDays('2026-03-13', 1)).toBe('2026-03-16'); // Friday → Monday
    expect(shipped.addWorkingDays('2026-02-13', 1)).toBe('2026-02-14'); // Friday → the Saturday worked
    expect(shipped.addWorkingDays('2026-02-13', 2)).toBe('2026-02-24'); // then over the whole break
    expect(shipped.addWorkingDays('2026-09-30', 5)).toBe('2026-10-13'); // 10-08, 10-09, 10-10 (Sat, worked), 10-12, 10-13
    expect(shipped.addWorkingDays('2026-09-18', 1)).toBe('2026-09-20'); // Sunday worked before National Day
    expect(shipped.addWorkingDays('2026-04-30', 1)).toBe('2026-05-06');
    expect(shipped.addWorkingDays('2026-03-10', 0)).toBe('2026-03-10');
    expect(shipped.workingDayOnOrAfter('2026-02-15')).toBe('2026-02-24');
    expect(shipped.workingDaysBetween('2026-02-13', '2026-02-24')).toBe(2);
  });

  it('crosses from one known year into the next', () => {
    expect(shipped.addWorkingDays('2025-12-30', 3)).toBe('2026-01-05'); // 12-31, then 01-04 (Sunday, worked), 01-05
  });

  it('fails loudly, never as a plain Monday–Friday year, when a computation reaches a year without a calendar', () => {
    const missing: number[] = [];
    const cal = new WorkingDayCalendar(STATE_COUNCIL_CALENDARS, { onMissingYear: (y) => missing.push(y) });
    expect(() => cal.addWorkingDays('2026-12-30', 3)).toThrow(CalendarMissingError);
    expect(() => cal.isWorkingDay('2027-03-01')).toThrow(/no working-day calendar is published for 2027/);
    expect(() => cal.addWorkingDays('2024-06-03', 1)).toThrow(CalendarMissingError);
    expect(missing).toEqual([2027, 2027, 2024]);
    try {
      cal.addWorkingDays('2026-12-31', 1);
    } catch (e) {
      expect(e).toMatchObject({ code: 'INVALID_STATE', year: 2027, details: { year: 2027, reason: 'CALENDAR_MISSING' } });
    }
    // within a known year the same call answers
    expect(cal.addWorkingDays('2026-12-28', 3)).toBe('2026-12-31');
  });

  it('refuses malformed days and counts', () => {
    expect(() => shipped.addWorkingDays('2026-02-30', 1)).toThrow(/not a date/);
    expect(() => shipped.addWorkingDays('2026-02-03', -1)).toThrow(/whole number/);
    expect(() => new WorkingDayCalendar([{ year: 2026, source: 'x', days: [{ day: '2027-01-01', kind: 'HOLIDAY', name: 'x' }] }])).toThrow(/another year/);
  });

  it('ships every State Council break of 2026 with its days off and its adjusted working days', () => {
    const y2026 = STATE_COUNCIL_CALENDARS.find((y) => y.year === 2026)!;
    const off = y2026.days.filter((d) => d.kind === 'HOLIDAY');
    const on = y2026.days.filter((d) => d.kind === 'WORKDAY').map((d) => d.day);
    expect(on).toEqual(['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10']);
    expect(off).toHaveLength(3 + 9 + 3 + 5 + 3 + 3 + 7);
    for (const d of on) expect([0, 6]).toContain(new Date(d + 'T00:00:00Z').getUTCDay());
  });
});

describe('the calendar as data in a subgraph schema', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const SCHEMA = 'calendar_test';

  beforeAll(async () => {
    db = await createTestDatabase('calendar');
    ds = await openSubgraphDataSource({ url: db.url, schema: SCHEMA, entities: [], migrations: [calendarMigration(SCHEMA, 1764900000000)] });
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('is created and filled by the migration, and read back as the same calendar', async () => {
    const years = await ds.query(`SELECT year, source FROM "${SCHEMA}".calendar_years ORDER BY year`);
    expect(years.map((y: { year: number }) => y.year)).toEqual(STATE_COUNCIL_CALENDARS.map((y) => y.year));
    const cal = await loadCalendar(ds, SCHEMA);
    expect(cal.years()).toEqual([2025, 2026]);
    expect(cal.addWorkingDays('2026-02-13', 2)).toBe('2026-02-24');
    expect(() => cal.addWorkingDays('2026-12-30', 5)).toThrow(CalendarMissingError);
  });

  it('takes a later year as data, after which the same computation answers', async () => {
    await ds.transaction((m) => saveCalendarYear(m, SCHEMA, { year: 2027, source: 'test arrangement', days: [{ day: '2027-01-01', kind: 'HOLIDAY', name: '元旦' }] }));
    const cal = await loadCalendar(ds, SCHEMA);
    expect(cal.addWorkingDays('2026-12-30', 2)).toBe('2027-01-04');
    const Later = calendarMigration(SCHEMA, 1764900000001, []);
    expect(new Later().name).toBe('WorkingDayCalendar1764900000001');
  });
});
