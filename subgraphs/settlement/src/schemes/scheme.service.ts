import type { EntityManager } from 'typeorm';
import { byKeys, loader } from '@citypoints/federation';
import { badInput, notFound } from '@citypoints/kit';
import type { Caller } from '@citypoints/auth';
import { SCHEMA } from '../context';
import { validateDefinition, type SchemeDefinition } from './engine';
import { SchemeKind, type PointsScheme } from './scheme.type';
import type { Ctx, SettlementRuntime } from '../runtime';

export interface StoredScheme extends PointsScheme {
  definition: SchemeDefinition;
}

type Q = Pick<EntityManager, 'query'>;

interface SchemeRow {
  id: string;
  kind: SchemeKind;
  code: string;
  year: number;
  version: number;
  threshold: string | null;
  definition: SchemeDefinition;
  published_at: Date;
}

const toScheme = (r: SchemeRow): StoredScheme => ({
  id: r.id,
  kind: r.kind,
  code: r.code,
  year: r.year,
  version: r.version,
  threshold: r.threshold == null ? null : Number(r.threshold),
  definition: r.definition,
  publishedAt: r.published_at,
});

/** The scheme in force for a year: the latest version of the latest scheme year not after it. */
export async function schemeInForce(m: Q, kind: SchemeKind, year: number): Promise<StoredScheme | null> {
  const rows: SchemeRow[] = await m.query(
    `SELECT * FROM "${SCHEMA}".schemes WHERE kind = $1 AND year <= $2 ORDER BY year DESC, version DESC, published_at DESC LIMIT 1`,
    [kind, year],
  );
  return rows.length ? toScheme(rows[0]) : null;
}

export async function requireSchemeInForce(m: Q, kind: SchemeKind, year: number): Promise<StoredScheme> {
  const s = await schemeInForce(m, kind, year);
  if (!s) throw notFound(`${kind} scheme for year`, String(year));
  return s;
}

export function schemeLoader(ctx: Ctx) {
  const rt = ctx.rt;
  return loader<string, StoredScheme | null>(ctx, 'scheme', async (ids) => {
    const rows: SchemeRow[] = await rt.ds.query(`SELECT * FROM "${SCHEMA}".schemes WHERE id = ANY($1::uuid[])`, [ids]);
    return byKeys(ids, rows.map(toScheme), (s) => s.id);
  });
}

export async function publishScheme(rt: SettlementRuntime, caller: Caller, kind: SchemeKind, code: string, year: number, raw: unknown): Promise<StoredScheme> {
  if (!/^[A-Z][A-Z0-9-]{1,31}$/.test(code)) throw badInput('code must be 2–32 capitals, digits or hyphens', { field: 'code' });
  if (!Number.isInteger(year) || year < 2000 || year > 2100) throw badInput('year must be 2000..2100', { field: 'year' });
  const definition = validateDefinition(kind, raw);
  return rt.ds.transaction(async (m) => {
    // versions count up per scheme code across years, so (code, version) names one definition
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`scheme:${kind}:${code}`]);
    const rows: SchemeRow[] = await m.query(
      `INSERT INTO "${SCHEMA}".schemes (kind, code, year, version, threshold, definition, published_by)
       SELECT $1, $2, $3, COALESCE(MAX(version), 0) + 1, $4, $5::jsonb, $6 FROM "${SCHEMA}".schemes WHERE kind = $1 AND code = $2
       RETURNING *`,
      [kind, code, year, definition.threshold ?? null, JSON.stringify(definition), caller.sub],
    );
    return toScheme(rows[0]);
  });
}
