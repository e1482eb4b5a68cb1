import { DataSource } from 'typeorm';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '@citypoints/db';
import { FixedClock } from '@citypoints/kit';
import {
  dateUnit,
  monthUnit,
  publishVersion,
  schemeTable,
  timestampUnit,
  versionByNumber,
  versionHistory,
  versionInForce,
  yearUnit,
} from '@citypoints/schemes';

const S = 'schemes_test';
let db: TestDatabase;
let ds: DataSource;

const rules = z.object({ cap: z.number().int().min(0), label: z.string().min(1) });

/** one sequence for the table, in force by date (the civic rule sets' shape) */
const ruleSets = schemeTable({ schema: S, table: 'rule_sets', unit: dateUnit, definition: rules });
/** versions per (kind, code), in force by year, a threshold column beside the definition (settlement's shape) */
const yearly = schemeTable({ schema: S, table: 'yearly', unit: yearUnit(), definition: rules.extend({ threshold: z.number().optional() }), columns: { effectiveFrom: 'year' }, versionPer: ['kind', 'code'] });
/** per code, in force at an instant, published_at from the clock (volunteering's shape) */
const timed = schemeTable({ schema: S, table: 'timed', unit: timestampUnit, definition: rules, columns: { definition: 'rules' }, versionPer: ['code'] });
/** by month, strictly later each time, highest version wins, definition in child rows (labour risk's shape) */
const bands = z.object({ bands: z.array(z.object({ lo: z.number(), points: z.number().int() })).min(1) });
const monthly = schemeTable({
  schema: S,
  table: 'monthly',
  unit: monthUnit,
  definition: bands,
  pick: 'version',
  strictlyLater: true,
  columns: { definition: null },
  async store(m, v) {
    for (const b of v.definition.bands) await m.query(`INSERT INTO "${S}".monthly_bands (version, lo, points) VALUES ($1, $2, $3)`, [v.version, b.lo, b.points]);
  },
  async load(m, row) {
    const rs: { lo: string; points: number }[] = await m.query(`SELECT lo, points FROM "${S}".monthly_bands WHERE version = $1 ORDER BY lo`, [row.version]);
    return { bands: rs.map((r) => ({ lo: Number(r.lo), points: r.points })) };
  },
});

beforeAll(async () => {
  db = await createTestDatabase('schemes');
  ds = new DataSource({ type: 'postgres', url: db.url, entities: [], extra: { max: 12 } });
  await ds.initialize();
  await ds.query(`CREATE SCHEMA "${S}"`);
  await ds.query(`CREATE TABLE "${S}".rule_sets (version int PRIMARY KEY, effective_from date NOT NULL, definition jsonb NOT NULL, published_by text NOT NULL, published_at timestamptz NOT NULL DEFAULT now())`);
  await ds.query(`CREATE TABLE "${S}".yearly (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), kind text NOT NULL, code text NOT NULL, year int NOT NULL, version int NOT NULL,
    threshold numeric, definition jsonb NOT NULL, published_by text NOT NULL, published_at timestamptz NOT NULL DEFAULT now(), UNIQUE (kind, code, version))`);
  await ds.query(`CREATE TABLE "${S}".timed (code text NOT NULL, version int NOT NULL, effective_from timestamptz NOT NULL, rules jsonb NOT NULL, published_by text NOT NULL, published_at timestamptz NOT NULL, PRIMARY KEY (code, version))`);
  await ds.query(`CREATE TABLE "${S}".monthly (version int PRIMARY KEY, effective_from date NOT NULL, published_by text NOT NULL, published_at timestamptz NOT NULL DEFAULT now())`);
  await ds.query(`CREATE TABLE "${S}".monthly_bands (version int NOT NULL REFERENCES "${S}".monthly(version), lo numeric NOT NULL, points int NOT NULL)`);
});

afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

const count = async (table: string) => Number((await ds.query(`SELECT count(*) AS n FROM "${S}".${table}`))[0].n);

describe('a date-effective table with one version sequence', () => {
  it('numbers versions one above the latest and keeps every earlier one', async () => {
    const a = await publishVersion(ruleSets, ds, { effectiveFrom: '2026-01-01', definition: { cap: 10, label: 'first' }, by: 'admin-1' });
    const b = await publishVersion(ruleSets, ds, { effectiveFrom: '2026-07-01', definition: { cap: 20, label: 'second' }, by: 'admin-2' });
    expect([a.version, b.version]).toEqual([1, 2]);
    expect(b).toMatchObject({ effectiveFrom: '2026-07-01', definition: { cap: 20, label: 'second' }, publishedBy: 'admin-2' });
    expect(b.publishedAt).toBeInstanceOf(Date);
    const history = await versionHistory(ruleSets, ds);
    expect(history.map((v) => [v.version, v.effectiveFrom, v.definition.label])).toEqual([
      [2, '2026-07-01', 'second'],
      [1, '2026-01-01', 'first'],
    ]);
  });

  it('finds the version in force on a day: the latest whose effective day has come', async () => {
    expect(await versionInForce(ruleSets, ds, '2025-12-31')).toBeNull();
    expect((await versionInForce(ruleSets, ds, '2026-01-01'))?.version).toBe(1);
    expect((await versionInForce(ruleSets, ds, '2026-06-30'))?.version).toBe(1);
    expect((await versionInForce(ruleSets, ds, '2026-07-01'))?.definition).toEqual({ cap: 20, label: 'second' });
    // a later publish effective earlier than the newest wins for its own days only
    await publishVersion(ruleSets, ds, { effectiveFrom: '2026-03-01', definition: { cap: 15, label: 'third' }, by: 'admin-1' });
    expect((await versionInForce(ruleSets, ds, '2026-04-01'))?.version).toBe(3);
    expect((await versionInForce(ruleSets, ds, '2026-08-01'))?.version).toBe(2);
  });

  it('refuses a definition the zod schema rejects, and a malformed effective point, writing nothing', async () => {
    const before = await count('rule_sets');
    await expect(publishVersion(ruleSets, ds, { effectiveFrom: '2026-09-01', definition: { cap: -1, label: '' }, by: 'x' })).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      details: { field: 'definition' },
      message: expect.stringContaining('cap'),
    });
    await expect(publishVersion(ruleSets, ds, { effectiveFrom: '2026-02-30', definition: { cap: 1, label: 'x' }, by: 'x' })).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      details: { field: 'effectiveFrom' },
    });
    expect(await count('rule_sets')).toBe(before);
  });

  it('takes part in the caller transaction: a rollback leaves no version', async () => {
    const before = await count('rule_sets');
    await expect(
      ds.transaction(async (m) => {
        await publishVersion(ruleSets, m, { effectiveFrom: '2027-01-01', definition: { cap: 1, label: 'gone' }, by: 'x' });
        throw new Error('the rest of the mutation failed');
      }),
    ).rejects.toThrow('the rest of the mutation failed');
    expect(await count('rule_sets')).toBe(before);
  });

  it('gives concurrent publishes distinct consecutive versions', async () => {
    const before = await count('rule_sets');
    const published = await Promise.all(
      Array.from({ length: 8 }, (_, i) => publishVersion(ruleSets, ds, { effectiveFrom: '2028-01-01', definition: { cap: i, label: `c${i}` }, by: 'x' })),
    );
    expect(published.map((v) => v.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 8 }, (_, i) => before + i + 1));
  });

  it('refuses to read back a stored definition that no longer parses', async () => {
    await ds.query(`INSERT INTO "${S}".rule_sets (version, effective_from, definition, published_by) VALUES (1000, '2090-01-01', '{"cap":"many"}', 'x')`);
    await expect(versionInForce(ruleSets, ds, '2090-06-01')).rejects.toThrow(/malformed/);
    await ds.query(`DELETE FROM "${S}".rule_sets WHERE version = 1000`);
  });
});

describe('a year-effective table with versions per (kind, code)', () => {
  it('counts versions per kind and code, and writes extra columns', async () => {
    const a = await publishVersion(yearly, ds, { effectiveFrom: 2025, definition: { cap: 1, label: 'a', threshold: 60 }, by: 'o', values: { kind: 'SCHOOL', code: 'SA' }, extra: (d) => ({ threshold: (d as { threshold?: number }).threshold ?? null }) });
    const b = await publishVersion(yearly, ds, { effectiveFrom: 2026, definition: { cap: 2, label: 'b' }, by: 'o', values: { kind: 'SCHOOL', code: 'SA' } });
    const c = await publishVersion(yearly, ds, { effectiveFrom: 2026, definition: { cap: 3, label: 'c' }, by: 'o', values: { kind: 'HUKOU', code: 'SA' } });
    expect([a.version, b.version, c.version]).toEqual([1, 2, 1]);
    expect(Number(a.row.threshold)).toBe(60);
    expect(typeof a.row.id).toBe('string');
    expect(b.effectiveFrom).toBe(2026);
  });

  it('finds the version in force for a year within a kind', async () => {
    expect((await versionInForce(yearly, ds, 2025, { kind: 'SCHOOL' }))?.definition.label).toBe('a');
    expect((await versionInForce(yearly, ds, 2030, { kind: 'SCHOOL' }))?.definition.label).toBe('b');
    expect((await versionInForce(yearly, ds, 2026, { kind: 'HUKOU' }))?.definition.label).toBe('c');
    expect(await versionInForce(yearly, ds, 2025, { kind: 'HUKOU' })).toBeNull();
    expect((await versionByNumber(yearly, ds, 1, { kind: 'HUKOU', code: 'SA' }))?.definition.label).toBe('c');
    expect((await versionHistory(yearly, ds, { kind: 'SCHOOL' })).map((v) => v.version)).toEqual([2, 1]);
  });

  it('refuses a year outside the unit bounds', async () => {
    await expect(publishVersion(yearly, ds, { effectiveFrom: 1999, definition: { cap: 1, label: 'a' }, by: 'o', values: { kind: 'SCHOOL', code: 'SA' } })).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      details: { field: 'effectiveFrom' },
    });
  });
});

describe('a timestamp-effective table', () => {
  it('writes published_at from the clock, refuses a point before notBefore, and finds the version in force at an instant', async () => {
    const clock = new FixedClock(new Date('2026-05-01T00:00:00Z'));
    const v1 = await publishVersion(timed, ds, { effectiveFrom: new Date('2026-05-01T00:00:00Z'), definition: { cap: 1, label: 'one' }, by: 'a', values: { code: 'VOL' }, clock, notBefore: clock.now() });
    expect(v1.publishedAt?.toISOString()).toBe('2026-05-01T00:00:00.000Z');
    await expect(
      publishVersion(timed, ds, { effectiveFrom: new Date('2026-04-30T23:59:59Z'), definition: { cap: 2, label: 'two' }, by: 'a', values: { code: 'VOL' }, clock, notBefore: clock.now() }),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'effectiveFrom' } });
    await publishVersion(timed, ds, { effectiveFrom: new Date('2026-06-01T12:00:00Z'), definition: { cap: 2, label: 'two' }, by: 'a', values: { code: 'VOL' }, clock, notBefore: clock.now() });
    expect((await versionInForce(timed, ds, new Date('2026-06-01T11:59:59Z'), { code: 'VOL' }))?.version).toBe(1);
    const at = await versionInForce(timed, ds, new Date('2026-06-01T12:00:00Z'), { code: 'VOL' });
    expect(at?.version).toBe(2);
    expect(at?.effectiveFrom.toISOString()).toBe('2026-06-01T12:00:00.000Z');
  });
});

describe('a month-effective table with its definition in child rows', () => {
  it('stores and loads the definition through the table hooks, and wants each version later than the last', async () => {
    const v1 = await publishVersion(monthly, ds, { effectiveFrom: '2026-01', definition: { bands: [{ lo: 0, points: 1 }, { lo: 5, points: 3 }] }, by: 'r' });
    expect(v1).toMatchObject({ version: 1, effectiveFrom: '2026-01' });
    await expect(publishVersion(monthly, ds, { effectiveFrom: '2026-01', definition: { bands: [{ lo: 0, points: 2 }] }, by: 'r' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(publishVersion(monthly, ds, { effectiveFrom: '2026-13', definition: { bands: [{ lo: 0, points: 2 }] }, by: 'r' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await publishVersion(monthly, ds, { effectiveFrom: '2026-04', definition: { bands: [{ lo: 0, points: 2 }] }, by: 'r' });
    expect(await count('monthly')).toBe(2);
    expect(await versionInForce(monthly, ds, '2025-12')).toBeNull();
    expect((await versionInForce(monthly, ds, '2026-03'))?.definition).toEqual({ bands: [{ lo: 0, points: 1 }, { lo: 5, points: 3 }] });
    expect((await versionInForce(monthly, ds, '2026-04'))?.definition).toEqual({ bands: [{ lo: 0, points: 2 }] });
    expect((await versionByNumber(monthly, ds, 1))?.effectiveFrom).toBe('2026-01');
  });
});
