import { isCityWide, type Caller } from '@citypoints/auth';
import { badInput, conflict, forbidden, isWithinDivision, parseUscc } from '@citypoints/kit';
import { byKeys, loader } from '@citypoints/federation';
import { enterpriseRegistered } from '../events/registry.facts';
import type { EntityManager } from 'typeorm';
import { SCHEMA, type Ctx, type RegistryRuntime } from '../runtime';
import { requireDivisionExists } from '../divisions/division.service';
import type { Enterprise, RegisterEnterpriseInput } from './enterprise.type';

interface Row {
  uscc: string;
  name: string;
  division_code: string;
  industry: string | null;
  employees: number | null;
}
const toEnterprise = (r: Row): Enterprise => ({ uscc: r.uscc, name: r.name, divisionCode: r.division_code, industry: r.industry, employees: r.employees });

export function enterpriseLoader(ctx: Ctx) {
  return loader<string, Enterprise | null>(ctx, 'enterprise', async (ids) => {
    const rows: Row[] = await ctx.rt.ds.query(`SELECT uscc, name, division_code, industry, employees FROM "${SCHEMA}".enterprises WHERE uscc = ANY($1)`, [ids]);
    return byKeys(ids, rows.map(toEnterprise), (e) => e.uscc);
  });
}

export async function insertEnterprise(m: EntityManager, v: { uscc: string; name: string; divisionCode: string; industry: string | null; employees: number | null }): Promise<Row> {
  const rows: Row[] = await m.query(
    `INSERT INTO "${SCHEMA}".enterprises (uscc, name, division_code, industry, employees) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (uscc) DO NOTHING RETURNING uscc, name, division_code, industry, employees`,
    [v.uscc, v.name, v.divisionCode, v.industry, v.employees],
  );
  if (!rows.length) throw conflict(`enterprise ${v.uscc} is registered already`, { field: 'uscc' });
  await enterpriseRegistered(m, { uscc: v.uscc, name: v.name, divisionCode: v.divisionCode, industry: v.industry, employees: v.employees });
  return rows[0];
}

export async function registerEnterprise(rt: RegistryRuntime, caller: Caller, input: RegisterEnterpriseInput): Promise<Enterprise> {
  const uscc = parseUscc(input.uscc);
  const name = input.name.trim();
  if (!name || name.length > 200) throw badInput('name must have 1 to 200 characters', { field: 'name' });
  if (input.employees != null && (input.employees < 0 || input.employees > 10_000_000)) throw badInput('employees must be 0 or more', { field: 'employees' });
  const division = await requireDivisionExists(rt.ds, input.divisionCode);
  if (division.level === 'CITY') throw badInput('an enterprise is registered in a town or village', { field: 'divisionCode' });
  // a town official without a division in their token reaches no division (DOMAIN §9)
  if (!isCityWide(caller) && !isWithinDivision(division.code, caller.division)) throw forbidden('outside the caller\'s division');
  const row = await rt.ds.transaction((m) =>
    insertEnterprise(m, { uscc, name, divisionCode: division.code, industry: input.industry?.trim() || null, employees: input.employees ?? null }),
  );
  return toEnterprise(row);
}
