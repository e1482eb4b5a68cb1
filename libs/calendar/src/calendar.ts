import { DomainError, ErrorCode, isIsoDate } from '@citypoints/kit';

/** A day the calendar names: a public holiday (off), or an adjusted working day (调休上班, on although a weekend). */
export type CalendarDayKind = 'HOLIDAY' | 'WORKDAY';

export interface CalendarDay {
  /** YYYY-MM-DD */
  day: string;
  kind: CalendarDayKind;
  name: string;
}

/** One year's published arrangement: every holiday and every adjusted working day of the year. */
export interface CalendarYear {
  year: number;
  /** where the arrangement comes from, e.g. the State Council notice */
  source: string;
  days: readonly CalendarDay[];
}

/**
 * A working-day computation reached a year nobody has published a calendar for. It is never
 * guessed as a plain Monday–Friday year: the city loads the year's arrangement first.
 */
export class CalendarMissingError extends DomainError {
  constructor(readonly year: number) {
    super(ErrorCode.INVALID_STATE, `no working-day calendar is published for ${year}; load the year's holiday arrangement before counting working days in it`, { year, reason: 'CALENDAR_MISSING' });
    this.name = 'CalendarMissingError';
  }
}

export interface WorkingDayCalendarOptions {
  /** told of every computation that reached a year without a calendar (a metric, a log line) */
  onMissingYear?: (year: number) => void;
}

const DAY_MS = 86_400_000;

function parseDay(day: string): Date {
  if (!isIsoDate(day)) throw new DomainError(ErrorCode.BAD_USER_INPUT, `${day} is not a date (YYYY-MM-DD)`, { day });
  return new Date(day + 'T00:00:00Z');
}

/**
 * Working days as the city counts them: Monday to Friday, except the published holidays, plus the
 * published adjusted working days (weekends worked in exchange for a longer holiday). Built from
 * the years it is given; asking about any other year throws CalendarMissingError.
 */
export class WorkingDayCalendar {
  private readonly byYear = new Map<number, Map<string, CalendarDayKind>>();

  constructor(
    years: Iterable<CalendarYear>,
    private readonly opts: WorkingDayCalendarOptions = {},
  ) {
    for (const y of years) {
      const days = new Map<string, CalendarDayKind>();
      for (const d of y.days) {
        parseDay(d.day);
        if (Number(d.day.slice(0, 4)) !== y.year) throw new Error(`calendar ${y.year} names ${d.day}, a day of another year`);
        days.set(d.day, d.kind);
      }
      this.byYear.set(y.year, days);
    }
  }

  /** The years this calendar knows, ascending. */
  years(): number[] {
    return [...this.byYear.keys()].sort((a, b) => a - b);
  }

  hasYear(year: number): boolean {
    return this.byYear.has(year);
  }

  private yearOf(year: number): Map<string, CalendarDayKind> {
    const days = this.byYear.get(year);
    if (!days) {
      this.opts.onMissingYear?.(year);
      throw new CalendarMissingError(year);
    }
    return days;
  }

  private isWorking(d: Date): boolean {
    const iso = d.toISOString().slice(0, 10);
    const kind = this.yearOf(d.getUTCFullYear()).get(iso);
    if (kind === 'WORKDAY') return true;
    if (kind === 'HOLIDAY') return false;
    const wd = d.getUTCDay();
    return wd !== 0 && wd !== 6;
  }

  /** Whether the day (YYYY-MM-DD) is a working day. */
  isWorkingDay(day: string): boolean {
    return this.isWorking(parseDay(day));
  }

  /**
   * The n-th working day after `day` (n ≥ 0; 0 gives the day itself): the due date of something
   * allowed n working days from `day`. Every day passed over must lie in a known year.
   */
  addWorkingDays(day: string, n: number): string {
    if (!Number.isInteger(n) || n < 0) throw new DomainError(ErrorCode.BAD_USER_INPUT, `a number of working days must be a whole number ≥ 0, not ${n}`, { n });
    let t = parseDay(day).getTime();
    let left = n;
    while (left > 0) {
      t += DAY_MS;
      if (this.isWorking(new Date(t))) left--;
    }
    return new Date(t).toISOString().slice(0, 10);
  }

  /** The first working day on or after `day`. */
  workingDayOnOrAfter(day: string): string {
    let t = parseDay(day).getTime();
    while (!this.isWorking(new Date(t))) t += DAY_MS;
    return new Date(t).toISOString().slice(0, 10);
  }

  /** Working days after `from` up to and including `to` (0 when `to` is not after `from`). */
  workingDaysBetween(from: string, to: string): number {
    let t = parseDay(from).getTime();
    const end = parseDay(to).getTime();
    let n = 0;
    while (t < end) {
      t += DAY_MS;
      if (this.isWorking(new Date(t))) n++;
    }
    return n;
  }
}
