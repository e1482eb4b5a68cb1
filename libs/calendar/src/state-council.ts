import type { CalendarDay, CalendarYear } from './calendar';

/** Every day from `from` to `to` inclusive as one named holiday. */
function holiday(name: string, from: string, to: string = from): CalendarDay[] {
  const out: CalendarDay[] = [];
  for (let t = Date.parse(from + 'T00:00:00Z'); t <= Date.parse(to + 'T00:00:00Z'); t += 86_400_000) {
    out.push({ day: new Date(t).toISOString().slice(0, 10), kind: 'HOLIDAY', name });
  }
  return out;
}

const workday = (name: string, ...days: string[]): CalendarDay[] => days.map((day) => ({ day, kind: 'WORKDAY', name: `${name}调休上班` }));

const freeze = (y: CalendarYear): CalendarYear => Object.freeze({ ...y, days: Object.freeze(y.days.map((d) => Object.freeze({ ...d }))) });

/**
 * The State Council's published holiday arrangements (国务院办公厅关于部分节假日安排的通知): each
 * break's days off, weekends included, and the weekends worked in exchange (调休上班). Shipped
 * through each subgraph's calendar migration; a year not listed here is unknown until a migration
 * or an administrator adds it, and counting working days in it fails.
 */
export const STATE_COUNCIL_CALENDARS: readonly CalendarYear[] = Object.freeze([
  freeze({
    year: 2025,
    source: '国务院办公厅关于2025年部分节假日安排的通知',
    days: [
      ...holiday('元旦', '2025-01-01'),
      ...holiday('春节', '2025-01-28', '2025-02-04'),
      ...workday('春节', '2025-01-26', '2025-02-08'),
      ...holiday('清明节', '2025-04-04', '2025-04-06'),
      ...holiday('劳动节', '2025-05-01', '2025-05-05'),
      ...workday('劳动节', '2025-04-27'),
      ...holiday('端午节', '2025-05-31', '2025-06-02'),
      ...holiday('国庆节、中秋节', '2025-10-01', '2025-10-08'),
      ...workday('国庆节、中秋节', '2025-09-28', '2025-10-11'),
    ],
  }),
  freeze({
    year: 2026,
    source: '国务院办公厅关于2026年部分节假日安排的通知',
    days: [
      ...holiday('元旦', '2026-01-01', '2026-01-03'),
      ...workday('元旦', '2026-01-04'),
      ...holiday('春节', '2026-02-15', '2026-02-23'),
      ...workday('春节', '2026-02-14', '2026-02-28'),
      ...holiday('清明节', '2026-04-04', '2026-04-06'),
      ...holiday('劳动节', '2026-05-01', '2026-05-05'),
      ...workday('劳动节', '2026-05-09'),
      ...holiday('端午节', '2026-06-19', '2026-06-21'),
      ...holiday('中秋节', '2026-09-25', '2026-09-27'),
      ...holiday('国庆节', '2026-10-01', '2026-10-07'),
      ...workday('国庆节', '2026-09-20', '2026-10-10'),
    ],
  }),
]);
