import { isIsoDate, isPeriod } from '@citypoints/kit';

/**
 * How a scheme table counts "effective from": the shape a caller gives, how it is stored and read
 * back, and how two values compare. The four units the city uses are below; a table stores its
 * unit in one column.
 */
export interface EffectiveUnit<U> {
  /** for messages: "a date (YYYY-MM-DD)" */
  readonly describe: string;
  /** true when a caller's value has this unit's shape */
  valid(v: unknown): v is U;
  /** the SQL parameter for a value, with `cast` appended to the placeholder */
  toParam(v: U): unknown;
  readonly cast: string;
  /** the SQL expression that reads the column back in this unit's shape */
  read(column: string): string;
  fromRow(raw: unknown): U;
  compare(a: U, b: U): number;
}

const cmp = <T>(a: T, b: T) => (a < b ? -1 : a > b ? 1 : 0);

/** A calendar day, 'YYYY-MM-DD', in a `date` column. */
export const dateUnit: EffectiveUnit<string> = {
  describe: 'a date (YYYY-MM-DD)',
  valid: (v): v is string => typeof v === 'string' && isIsoDate(v),
  toParam: (v) => v,
  cast: '::date',
  read: (c) => `to_char(${c}, 'YYYY-MM-DD')`,
  fromRow: (raw) => String(raw),
  compare: cmp,
};

/** A month, 'YYYY-MM', stored as its first day in a `date` column. */
export const monthUnit: EffectiveUnit<string> = {
  describe: 'a month (YYYY-MM)',
  valid: (v): v is string => typeof v === 'string' && isPeriod(v),
  toParam: (v) => `${v}-01`,
  cast: '::date',
  read: (c) => `to_char(${c}, 'YYYY-MM')`,
  fromRow: (raw) => String(raw),
  compare: cmp,
};

/** A calendar year in an `int` column; `min`/`max` bound what a caller may publish. */
export function yearUnit(min = 2000, max = 2100): EffectiveUnit<number> {
  return {
    describe: `a year from ${min} to ${max}`,
    valid: (v): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max,
    toParam: (v) => v,
    cast: '::int',
    read: (c) => c,
    fromRow: (raw) => Number(raw),
    compare: (a, b) => a - b,
  };
}

/** An instant in a `timestamptz` column. */
export const timestampUnit: EffectiveUnit<Date> = {
  describe: 'a time',
  valid: (v): v is Date => v instanceof Date && !Number.isNaN(v.getTime()),
  toParam: (v) => v,
  cast: '::timestamptz',
  read: (c) => c,
  fromRow: (raw) => (raw instanceof Date ? raw : new Date(String(raw))),
  compare: (a, b) => a.getTime() - b.getTime(),
};
