import { byKeys, loader } from '@citypoints/federation';
import { badInput, divisionLevelOf, forbidden, isUuid, notFound } from '@citypoints/kit';
import { canReachDivision, type Caller } from '@citypoints/auth';
import { SCHEMA } from '../context';
import { returning } from '../sql';
import type { School, UpsertSchoolInput } from './school.type';
import type { Ctx, SettlementRuntime } from '../runtime';

const toSchool = (r: { id: string; name: string; town_code: string }): School => ({ id: r.id, name: r.name, townCode: r.town_code });

export function requireTownCode(code: string, field = 'townCode'): string {
  if (divisionLevelOf(code) !== 'TOWN') throw badInput('a town or street has a 9-digit code', { field });
  return code;
}

export async function listSchools(rt: SettlementRuntime, townCode: string): Promise<School[]> {
  requireTownCode(townCode);
  const rows = await rt.ds.query(`SELECT id, name, town_code FROM "${SCHEMA}".schools WHERE town_code = $1 ORDER BY name, id`, [townCode]);
  return rows.map(toSchool);
}

export function schoolLoader(ctx: Ctx) {
  const rt = ctx.rt;
  return loader<string, School | null>(ctx, 'school', async (ids) => {
    const valid = ids.filter(isUuid);
    const rows = valid.length ? await rt.ds.query(`SELECT id, name, town_code FROM "${SCHEMA}".schools WHERE id = ANY($1::uuid[])`, [valid]) : [];
    return byKeys<string, School>(ids, rows.map(toSchool), (s) => s.id);
  });
}

/** Seats per (school, year, grade), batched: key `schoolId|year|grade`. */
export function seatsLoader(ctx: Ctx) {
  const rt = ctx.rt;
  return loader<string, number>(ctx, 'seats', async (keys) => {
    const parts = keys.map((k) => k.split('|'));
    const rows: { k: string; seats: number }[] = await rt.ds.query(
      `SELECT s.school_id || '|' || s.year || '|' || s.grade AS k, s.seats FROM "${SCHEMA}".school_seats s
       JOIN unnest($1::uuid[], $2::int[], $3::text[]) AS q(id, y, g) ON s.school_id = q.id AND s.year = q.y AND s.grade = q.g`,
      [parts.map((p) => p[0]), parts.map((p) => Number(p[1])), parts.map((p) => p[2])],
    );
    const map = new Map(rows.map((r) => [r.k, r.seats]));
    return keys.map((k) => map.get(k) ?? 0);
  });
}

export async function upsertSchool(rt: SettlementRuntime, caller: Caller, input: UpsertSchoolInput): Promise<School> {
  const townCode = requireTownCode(input.townCode);
  if (!canReachDivision(caller, townCode)) throw forbidden(`town ${townCode} is outside the caller's division`);
  const name = input.name.trim();
  if (!name || name.length > 100) throw badInput('name must have 1 to 100 characters', { field: 'name' });
  const seen = new Set<string>();
  for (const s of input.seats) {
    if (!Number.isInteger(s.year) || s.year < 2000 || s.year > 2100) throw badInput('year must be 2000..2100', { field: 'seats.year' });
    if (!Number.isInteger(s.seats) || s.seats < 0 || s.seats > 10000) throw badInput('seats must be 0..10000', { field: 'seats.seats' });
    const k = `${s.year}|${s.grade}`;
    if (seen.has(k)) throw badInput(`seats for ${s.year} ${s.grade} given twice`, { field: 'seats' });
    seen.add(k);
  }
  return rt.ds.transaction(async (m) => {
    let row: { id: string; name: string; town_code: string };
    if (input.id) {
      const found = isUuid(input.id) ? await m.query(`SELECT id, name, town_code FROM "${SCHEMA}".schools WHERE id = $1 FOR UPDATE`, [input.id]) : [];
      if (!found.length) throw notFound('school', input.id);
      if (found[0].town_code !== townCode) throw badInput('a school stays in its town', { field: 'townCode' });
      row = (await returning<typeof row>(m, `UPDATE "${SCHEMA}".schools SET name = $2 WHERE id = $1 RETURNING id, name, town_code`, [input.id, name]))[0];
    } else {
      row = (await m.query(`INSERT INTO "${SCHEMA}".schools (name, town_code) VALUES ($1, $2) RETURNING id, name, town_code`, [name, townCode]))[0];
    }
    for (const s of input.seats) {
      await m.query(
        `INSERT INTO "${SCHEMA}".school_seats (school_id, year, grade, seats) VALUES ($1, $2, $3, $4)
         ON CONFLICT (school_id, year, grade) DO UPDATE SET seats = EXCLUDED.seats`,
        [row.id, s.year, s.grade, s.seats],
      );
    }
    return toSchool(row);
  });
}
