import type { ZodIssue, ZodType, ZodTypeDef } from 'zod';
import type { EntityManager } from 'typeorm';
import { badInput, conflict, type Clock, type Queryable } from '@citypoints/kit';
import type { EffectiveUnit } from './units';

/** Something that can open a transaction (or already is one): a DataSource or an EntityManager. */
export type Transactional = Queryable & { transaction<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> };

type Values = Record<string, string | number | boolean | null>;

const IDENT = /^[a-z_][a-z0-9_]*$/;
const ident = (s: string, what: string) => {
  if (!IDENT.test(s)) throw new Error(`${what} ${JSON.stringify(s)} is not a plain SQL identifier`);
  return s;
};

/**
 * Where a kind of versioned scheme lives and what it means. A table holds one row per published
 * version: a version number, the point from which it is in force, who published it and when, and
 * its definition (a jsonb column, or rows elsewhere written and read by `store`/`load`).
 */
export interface SchemeTableSpec<D, U> {
  schema: string;
  table: string;
  /** the effective unit: dateUnit, monthUnit, yearUnit(), timestampUnit */
  unit: EffectiveUnit<U>;
  /** the subgraph's definition; a publish is refused unless it parses, a stored row is parsed on read */
  definition: ZodType<D, ZodTypeDef, unknown>;
  /**
   * Columns whose values number their own versions (e.g. ['kind', 'code']): versions count up per
   * combination. Empty (the default): one version sequence for the whole table.
   */
  versionPer?: readonly string[];
  /**
   * How the version in force is chosen among those effective by the point: 'effective' (the
   * default) = the latest effective point, then the highest version; 'version' = the highest
   * version, whatever its effective point.
   */
  pick?: 'effective' | 'version';
  /**
   * Refuse a publish whose effective point is not after the latest one already published in the
   * same version sequence (CONFLICT). Off by default.
   */
  strictlyLater?: boolean;
  columns?: {
    version?: string;
    effectiveFrom?: string;
    /** null: no jsonb column; `store` writes the definition and `load` reads it */
    definition?: string | null;
    publishedBy?: string;
    /** null: the table has no such column */
    publishedAt?: string | null;
  };
  /** writes a definition kept outside the version row (after the row is inserted, same transaction) */
  store?: (m: EntityManager, version: SchemeVersion<D, U>) => Promise<void>;
  /** reads a definition kept outside the version row */
  load?: (m: Queryable, row: Record<string, unknown>) => Promise<unknown>;
  /** the message of a refused definition; default: "definition: path message; …" */
  invalid?: (issues: ZodIssue[]) => Error;
}

export interface SchemeVersion<D, U> {
  version: number;
  effectiveFrom: U;
  definition: D;
  publishedBy: string;
  publishedAt: Date | null;
  /** every column of the stored row, for the table's own extra columns (id, code, threshold, …) */
  row: Record<string, unknown>;
}

export interface PublishInput<U> {
  effectiveFrom: U;
  definition: unknown;
  /** who publishes (the caller's subject) */
  by: string;
  /** values of the `versionPer` columns, and of any other column the row carries (e.g. code) */
  values?: Values;
  /** extra columns computed from the parsed definition (e.g. a threshold kept in its own column) */
  extra?: (definition: unknown) => Values;
  /** the published_at written; default: the database's now() (or the column default) */
  clock?: Clock;
  /** refuse an effective point before this one (BAD_USER_INPUT), e.g. the clock's now */
  notBefore?: U;
}

interface Resolved<D, U> extends SchemeTableSpec<D, U> {
  qualified: string;
  versionPer: readonly string[];
  c: { version: string; effectiveFrom: string; definition: string | null; publishedBy: string; publishedAt: string | null };
}

export type SchemeTable<D, U> = Readonly<Resolved<D, U>>;

/** Checks and completes a table description once; the result is frozen constant data. */
export function schemeTable<D, U>(spec: SchemeTableSpec<D, U>): SchemeTable<D, U> {
  const c = {
    version: spec.columns?.version ?? 'version',
    effectiveFrom: spec.columns?.effectiveFrom ?? 'effective_from',
    definition: spec.columns?.definition === undefined ? 'definition' : spec.columns.definition,
    publishedBy: spec.columns?.publishedBy ?? 'published_by',
    publishedAt: spec.columns?.publishedAt === undefined ? 'published_at' : spec.columns.publishedAt,
  };
  for (const [k, v] of Object.entries(c)) if (v !== null) ident(v, `column ${k}`);
  if (c.definition === null && (!spec.store || !spec.load)) throw new Error(`${spec.table}: without a definition column, store and load are required`);
  const versionPer = (spec.versionPer ?? []).map((col) => ident(col, 'versionPer column'));
  return Object.freeze({
    ...spec,
    versionPer,
    c,
    qualified: `"${ident(spec.schema, 'schema')}"."${ident(spec.table, 'table')}"`,
  });
}

function whereOf(values: Values | undefined, firstParam: number): { sql: string[]; params: unknown[] } {
  const sql: string[] = [];
  const params: unknown[] = [];
  for (const [col, v] of Object.entries(values ?? {})) {
    ident(col, 'column');
    params.push(v);
    sql.push(`${col} = $${firstParam + params.length - 1}`);
  }
  return { sql, params };
}

function selectList<D, U>(t: SchemeTable<D, U>): string {
  return `*, ${t.unit.read(t.c.effectiveFrom)} AS "__effective_from"`;
}

function orderBy<D, U>(t: SchemeTable<D, U>): string {
  const parts = t.pick === 'version' ? [`${t.c.version} DESC`] : [`${t.c.effectiveFrom} DESC`, `${t.c.version} DESC`];
  if (t.c.publishedAt) parts.push(`${t.c.publishedAt} DESC`);
  return parts.join(', ');
}

async function toVersion<D, U>(t: SchemeTable<D, U>, m: Queryable, row: Record<string, unknown>): Promise<SchemeVersion<D, U>> {
  const raw = t.c.definition ? row[t.c.definition] : await t.load!(m, row);
  const parsed = t.definition.safeParse(raw);
  if (!parsed.success) throw new Error(`${t.table} version ${String(row[t.c.version])} is malformed: ${parsed.error.message}`);
  const { __effective_from, ...rest } = row;
  return {
    version: Number(row[t.c.version]),
    effectiveFrom: t.unit.fromRow(__effective_from),
    definition: parsed.data,
    publishedBy: String(row[t.c.publishedBy]),
    publishedAt: t.c.publishedAt ? (row[t.c.publishedAt] as Date) : null,
    row: rest,
  };
}

/** Validates a definition with the table's zod schema; BAD_USER_INPUT naming every issue. */
export function parseDefinition<D, U>(t: SchemeTable<D, U>, raw: unknown): D {
  const parsed = t.definition.safeParse(raw);
  if (parsed.success) return parsed.data;
  if (t.invalid) throw t.invalid(parsed.error.issues);
  throw badInput(`definition: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`, { field: 'definition' });
}

/**
 * Publishes a new version: validates the definition, then, holding a transaction-scoped advisory
 * lock on the table's version sequence (schema, table and the `versionPer` values), numbers it one
 * above the sequence's latest and inserts it. Earlier versions stay and keep explaining what they
 * decided. Runs in the caller's transaction when given an EntityManager inside one.
 */
export async function publishVersion<D, U>(t: SchemeTable<D, U>, runner: Transactional, input: PublishInput<U>): Promise<SchemeVersion<D, U>> {
  if (!t.unit.valid(input.effectiveFrom)) throw badInput(`effectiveFrom must be ${t.unit.describe}`, { field: 'effectiveFrom' });
  if (input.notBefore !== undefined && t.unit.compare(input.effectiveFrom, input.notBefore) < 0) {
    throw badInput('a scheme version cannot take effect in the past', { field: 'effectiveFrom' });
  }
  const definition = parseDefinition(t, input.definition);
  const values: Values = { ...(input.values ?? {}), ...(input.extra ? input.extra(definition) : {}) };
  for (const col of t.versionPer) if (!(col in values)) throw new Error(`${t.table}: publish needs a value for ${col}`);

  const work = async (m: EntityManager): Promise<SchemeVersion<D, U>> => {
    const scope: Values = Object.fromEntries(t.versionPer.map((col) => [col, values[col]]));
    const lockKey = `${t.schema}.${t.table}` + t.versionPer.map((col) => `:${String(scope[col])}`).join('');
    await m.query(`SELECT pg_advisory_xact_lock(hashtext('citypoints.schemes'), hashtext($1))`, [lockKey]);

    const w = whereOf(scope, 1);
    const whereSql = w.sql.length ? `WHERE ${w.sql.join(' AND ')}` : '';
    if (t.strictlyLater) {
      const [last]: { latest: unknown }[] = await m.query(
        `SELECT ${t.unit.read(`max(${t.c.effectiveFrom})`)} AS latest FROM ${t.qualified} ${whereSql}`,
        w.params,
      );
      if (last?.latest != null && t.unit.compare(input.effectiveFrom, t.unit.fromRow(last.latest)) <= 0) {
        throw conflict(`a version is in force from ${String(last.latest)} already; a new one starts later`, { field: 'effectiveFrom' });
      }
    }

    const cols: string[] = [t.c.effectiveFrom];
    const params: unknown[] = [...w.params, t.unit.toParam(input.effectiveFrom)];
    const exprs: string[] = [`$${params.length}${t.unit.cast}`];
    const add = (col: string, v: unknown, cast = '') => {
      cols.push(ident(col, 'column'));
      params.push(v);
      exprs.push(`$${params.length}${cast}`);
    };
    if (t.c.definition) add(t.c.definition, JSON.stringify(definition), '::jsonb');
    add(t.c.publishedBy, input.by);
    if (t.c.publishedAt && input.clock) add(t.c.publishedAt, input.clock.now(), '::timestamptz');
    for (const [col, v] of Object.entries(values)) add(col, v);

    const rows: Record<string, unknown>[] = await m.query(
      `INSERT INTO ${t.qualified} (${t.c.version}, ${cols.join(', ')})
       SELECT coalesce(max(${t.c.version}), 0) + 1, ${exprs.join(', ')} FROM ${t.qualified} ${whereSql}
       RETURNING ${selectList(t)}`,
      params,
    );
    const { __effective_from, ...row } = rows[0];
    const stored: SchemeVersion<D, U> = {
      version: Number(row[t.c.version]),
      effectiveFrom: t.unit.fromRow(__effective_from),
      definition,
      publishedBy: input.by,
      publishedAt: t.c.publishedAt ? (row[t.c.publishedAt] as Date) : null,
      row,
    };
    if (t.store) await t.store(m, stored);
    return stored;
  };

  const inTx = (runner as EntityManager).queryRunner?.isTransactionActive;
  return inTx ? work(runner as EntityManager) : runner.transaction(work);
}

/**
 * The version in force at a point: among the versions effective by then (matching `where`, e.g.
 * { kind } or { code }), the one the table's `pick` chooses. Null when none is.
 */
export async function versionInForce<D, U>(t: SchemeTable<D, U>, m: Queryable, at: U, where?: Values): Promise<SchemeVersion<D, U> | null> {
  const w = whereOf(where, 2);
  const rows: Record<string, unknown>[] = await m.query(
    `SELECT ${selectList(t)} FROM ${t.qualified}
      WHERE ${t.c.effectiveFrom} <= $1${t.unit.cast}${w.sql.map((s) => ` AND ${s}`).join('')}
      ORDER BY ${orderBy(t)} LIMIT 1`,
    [t.unit.toParam(at), ...w.params],
  );
  return rows.length ? toVersion(t, m, rows[0]) : null;
}

/** One version by its number (within `where`, when version numbers are per scope). */
export async function versionByNumber<D, U>(t: SchemeTable<D, U>, m: Queryable, version: number, where?: Values): Promise<SchemeVersion<D, U> | null> {
  const w = whereOf(where, 2);
  const rows: Record<string, unknown>[] = await m.query(
    `SELECT ${selectList(t)} FROM ${t.qualified} WHERE ${t.c.version} = $1${w.sql.map((s) => ` AND ${s}`).join('')} LIMIT 1`,
    [version, ...w.params],
  );
  return rows.length ? toVersion(t, m, rows[0]) : null;
}

/** Every version (matching `where`), newest effective first, the order the in-force choice uses. */
export async function versionHistory<D, U>(t: SchemeTable<D, U>, m: Queryable, where?: Values): Promise<SchemeVersion<D, U>[]> {
  const w = whereOf(where, 1);
  const rows: Record<string, unknown>[] = await m.query(
    `SELECT ${selectList(t)} FROM ${t.qualified} ${w.sql.length ? `WHERE ${w.sql.join(' AND ')}` : ''} ORDER BY ${orderBy(t)}`,
    w.params,
  );
  const out: SchemeVersion<D, U>[] = [];
  for (const r of rows) out.push(await toVersion(t, m, r));
  return out;
}
