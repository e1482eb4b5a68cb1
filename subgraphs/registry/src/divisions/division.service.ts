import { badInput, conflict, divisionLevelOf, notFound, parentCodeOf } from '@citypoints/kit';
import { byKeys, loader } from '@citypoints/federation';
import type { Queryable } from '@citypoints/jobs';
import { SCHEMA, type Ctx, type RegistryRuntime } from '../runtime';
import type { Division, CreateDivisionInput } from './division.type';

const toDivision = (r: { code: string; name: string; level: string; parent_code: string | null }): Division => ({
  code: r.code,
  name: r.name,
  level: r.level as Division['level'],
  parentCode: r.parent_code,
});

export function divisionLoader(ctx: Ctx) {
  return loader<string, Division | null>(ctx, 'division', async (codes) => {
    const rows = await ctx.rt.ds.query(`SELECT code, name, level, parent_code FROM "${SCHEMA}".divisions WHERE code = ANY($1)`, [codes]);
    return byKeys<string, Division>(codes, rows.map(toDivision), (d) => d.code);
  });
}

export async function listDivisions(rt: RegistryRuntime, parentCode: string | null | undefined): Promise<Division[]> {
  const rows = parentCode
    ? await rt.ds.query(`SELECT code, name, level, parent_code FROM "${SCHEMA}".divisions WHERE parent_code = $1 ORDER BY code`, [parentCode])
    : await rt.ds.query(`SELECT code, name, level, parent_code FROM "${SCHEMA}".divisions WHERE parent_code IS NULL ORDER BY code`);
  return rows.map(toDivision);
}

export async function requireDivisionExists(db: Queryable, code: string, level?: string): Promise<Division> {
  const rows = await db.query(`SELECT code, name, level, parent_code FROM "${SCHEMA}".divisions WHERE code = $1`, [code]);
  if (!rows.length) throw notFound('division', code);
  const d = toDivision(rows[0]);
  if (level && d.level !== level) throw badInput(`division ${code} is a ${d.level}, not a ${level}`, { field: 'divisionCode' });
  return d;
}

/** A division's level follows from its code; its parent must exist and be one level up. */
export async function createDivision(rt: RegistryRuntime, input: CreateDivisionInput): Promise<Division> {
  const code = input.code.trim();
  const name = input.name.trim();
  const level = divisionLevelOf(code);
  if (!level) throw badInput('a division code has 6, 9 or 12 digits', { field: 'code' });
  if (level !== input.level) throw badInput(`code ${code} is the code of a ${level}`, { field: 'level' });
  if (!name || name.length > 100) throw badInput('name must have 1 to 100 characters', { field: 'name' });
  const expectedParent = parentCodeOf(code);
  const parentCode = input.parentCode ?? expectedParent;
  if (parentCode !== expectedParent) throw badInput(`the parent of ${code} is ${expectedParent ?? 'none'}`, { field: 'parentCode' });
  return rt.ds.transaction(async (m) => {
    if (parentCode) {
      const p = await m.query(`SELECT 1 FROM "${SCHEMA}".divisions WHERE code = $1`, [parentCode]);
      if (!p.length) throw notFound('division', parentCode);
    }
    const rows = await m.query(
      `INSERT INTO "${SCHEMA}".divisions (code, name, level, parent_code) VALUES ($1, $2, $3, $4)
       ON CONFLICT (code) DO NOTHING RETURNING code, name, level, parent_code`,
      [code, name, level, parentCode],
    );
    if (!rows.length) throw conflict(`division ${code} exists`, { code });
    return toDivision(rows[0]);
  });
}
