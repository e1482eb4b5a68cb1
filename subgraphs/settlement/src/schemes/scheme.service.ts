import { z } from 'zod';
import { byKeys, loader } from '@citypoints/federation';
import { badInput, DomainError, notFound, type Queryable as Q } from '@citypoints/kit';
import type { Caller } from '@citypoints/auth';
import { publishVersion, schemeTable, versionHistory, versionInForce, yearUnit, type SchemeTable, type SchemeVersion } from '@citypoints/schemes';
import { SCHEMA } from '../context';
import { validateDefinition, type SchemeDefinition } from './engine';
import { SchemeKind, type PointsScheme } from './scheme.type';
import type { Ctx, SettlementRuntime } from '../runtime';

export interface StoredScheme extends PointsScheme {
  definition: SchemeDefinition;
}

/** A kind's definition as the engine validates it (SCHEME_FORMAT.md), in the shape libs/schemes asks for. */
function definitionOf(kind: SchemeKind) {
  return z.unknown().transform((raw, ctx): SchemeDefinition => {
    try {
      return validateDefinition(kind, raw);
    } catch (e) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (e as Error).message, params: e instanceof DomainError ? e.details : undefined });
      return z.NEVER;
    }
  });
}

function tableOf(kind: SchemeKind): SchemeTable<SchemeDefinition, number> {
  return schemeTable({
    schema: SCHEMA,
    table: 'schemes',
    unit: yearUnit(2000, 2100),
    definition: definitionOf(kind),
    columns: { effectiveFrom: 'year' },
    // versions count up per scheme code across years, so (code, version) names one definition
    versionPer: ['kind', 'code'],
    invalid: (issues) => badInput(issues[0]?.message ?? 'scheme definition: not valid', { field: 'definition', ...((issues[0] as { params?: Record<string, unknown> })?.params ?? {}) }),
  });
}

/**
 * Settlement's schemes on the one versioned-scheme module (libs/schemes): one table, versions
 * per (kind, code), in force by school or application year, validated per kind by the engine.
 */
export const SCHEME_TABLES: Readonly<Record<SchemeKind, SchemeTable<SchemeDefinition, number>>> = Object.freeze({
  [SchemeKind.SCHOOL_ADMISSION]: tableOf(SchemeKind.SCHOOL_ADMISSION),
  [SchemeKind.HOUSEHOLD_REGISTRATION]: tableOf(SchemeKind.HOUSEHOLD_REGISTRATION),
});

const fromVersion = (v: SchemeVersion<SchemeDefinition, number>): StoredScheme => ({
  id: String(v.row.id),
  kind: v.row.kind as SchemeKind,
  code: String(v.row.code),
  year: v.effectiveFrom,
  version: v.version,
  threshold: v.row.threshold == null ? null : Number(v.row.threshold),
  definition: v.definition,
  publishedAt: v.publishedAt,
});

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
  const v = await versionInForce(SCHEME_TABLES[kind], m, year, { kind });
  return v ? fromVersion(v) : null;
}

export async function requireSchemeInForce(m: Q, kind: SchemeKind, year: number): Promise<StoredScheme> {
  const s = await schemeInForce(m, kind, year);
  if (!s) throw notFound(`${kind} scheme for year`, String(year));
  return s;
}

/** Every version of a kind (of one code, when given), newest in force first: old versions keep explaining old scores. */
export async function schemeHistory(m: Q, kind: SchemeKind, code?: string | null): Promise<StoredScheme[]> {
  const versions = await versionHistory(SCHEME_TABLES[kind], m, code ? { kind, code } : { kind });
  return versions.map(fromVersion);
}

/** Schemes by id (the version an application was scored under), batched. */
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
  const v = await publishVersion(SCHEME_TABLES[kind], rt.ds, {
    effectiveFrom: year,
    definition: raw,
    by: caller.sub,
    values: { kind, code },
    extra: (d) => ({ threshold: (d as SchemeDefinition).threshold ?? null }),
  });
  return fromVersion(v);
}
