import { hasRole, isCityWide, mustAuditRead, writeAudit, type Caller, type Role } from '@citypoints/auth';
import { badInput, conflict, forbidden, isUuid, isWithinDivision, maskIdNumber, maskName, notFound, parseIdNumber, unauthenticated } from '@citypoints/kit';
import { byKeys, loader } from '@citypoints/federation';
import type { EntityManager } from 'typeorm';
import { SCHEMA, type Ctx, type RegistryRuntime } from '../runtime';
import { requireDivisionExists } from '../divisions/division.service';
import type { RegisterResidentInput, Resident, ResidentAccess, UpdateResidentInput } from './resident.type';
import { HukouStatus } from './resident.type';
import { residentChanged, residentRegistered, type ResidentFactsSource } from '../events/registry.facts';

interface ResidentDbRow {
  id: string;
  id_number: string;
  name: string;
  birth_date: string;
  hukou: HukouStatus;
  division_code: string;
  household_id: string | null;
}

const COLUMNS = `id, id_number, name, to_char(birth_date, 'YYYY-MM-DD') AS birth_date, hukou, division_code, household_id`;

/** The officers of a division's procedures: they see a resident of their division as their step needs. */
const DIVISION_OFFICERS: Role[] = ['VILLAGE_REGISTRAR', 'VILLAGE_REVIEWER', 'PUBLICITY_CLERK', 'TOWN_REVIEWER', 'EDUCATION_OFFICER', 'HUKOU_OFFICER'];

/** Callers who see at most a resident's masked name and division, wherever the resident lives. */
const OUTSIDERS: Role[] = ['RESIDENT', 'MERCHANT', 'DATA_FEED', 'REGULATOR'];

/** Who may look a resident up by ID number: officials and department analysts (docs/domain/09-access.md). */
const ID_NUMBER_READERS: Role[] = ['CITY_ADMIN', 'DEPARTMENT_ANALYST', 'TOWN_OFFICIAL', ...DIVISION_OFFICERS];

/**
 * Who sees what of a resident (docs/domain/09-access.md): the resident themself, the city admin, department
 * analysts and the town officials of the resident's town see the whole record (ID number masked);
 * the officers of the resident's division see the name, division, ID number masked, hukou and birth
 * date their step needs, not the household; another resident, a merchant, a data feed or a
 * regulator sees the masked name and the division only. An official outside their division (with
 * no other role that lets them see it) is refused.
 */
export function accessTo(caller: Caller | null, row: { id: string; division_code: string }): ResidentAccess {
  if (!caller) throw unauthenticated();
  if (isCityWide(caller)) return 'full';
  if (hasRole(caller, 'RESIDENT') && caller.sub === row.id) return 'full';
  const inDivision = isWithinDivision(row.division_code, caller.division);
  if (hasRole(caller, 'TOWN_OFFICIAL') && inDivision) return 'full';
  if (hasRole(caller, ...DIVISION_OFFICERS) && inDivision) return 'officer';
  if (hasRole(caller, ...OUTSIDERS)) return 'masked';
  throw forbidden("the resident is outside the caller's division");
}

function toResident(r: ResidentDbRow, access: ResidentAccess): Resident {
  return {
    id: r.id,
    idNumberMasked: maskIdNumber(r.id_number),
    hukou: r.hukou,
    householdId: access === 'full' ? r.household_id : null,
    divisionCode: r.division_code,
    fullName: r.name,
    birth: r.birth_date,
    idNumber: r.id_number,
    access,
  };
}

export const displayName = (r: Resident) => (r.access === 'masked' ? maskName(r.fullName) : r.fullName);

async function audited(ctx: Ctx, rows: ResidentDbRow[], action: string): Promise<void> {
  if (mustAuditRead(ctx.caller) && rows.length) {
    await writeAudit(ctx.rt.ds, SCHEMA, ctx.caller, { at: ctx.rt.clock.now(), action, subjectType: 'Resident', subjectIds: rows.map((r) => r.id), fields: ['name', 'idNumber', 'birthDate', 'division', 'household'] });
  }
}

/** Batched loading with authorisation and one audit insert per batch. */
export function residentLoader(ctx: Ctx) {
  return loader<string, Resident | null>(ctx, 'resident', async (ids) => {
    const valid = ids.filter(isUuid);
    const rows: ResidentDbRow[] = valid.length ? await ctx.rt.ds.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".residents WHERE id = ANY($1::uuid[])`, [valid]) : [];
    const results = byKeys(ids, rows, (r) => r.id);
    const seen: ResidentDbRow[] = [];
    const out = results.map((r) => {
      if (!r) return null;
      try {
        const res = toResident(r, accessTo(ctx.caller, r));
        seen.push(r);
        return res;
      } catch (e) {
        return e as Error;
      }
    });
    await audited(ctx, seen, 'read');
    return out;
  });
}

/**
 * Only officials and department analysts may look a resident up by ID number; everyone else is
 * refused before the number is parsed or looked up, so the answer never tells whether it exists.
 * An official sees a number outside their reach as unknown, for the same reason.
 */
export async function residentByIdNumber(ctx: Ctx, raw: string): Promise<Resident | null> {
  const caller = ctx.caller;
  if (!caller) throw unauthenticated();
  if (!hasRole(caller, ...ID_NUMBER_READERS)) throw forbidden('looking a resident up by ID number is for officials and department analysts');
  const { idNumber } = parseIdNumber(raw);
  const rows: ResidentDbRow[] = await ctx.rt.ds.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".residents WHERE id_number = $1`, [idNumber]);
  if (!rows.length) return null;
  let access: ResidentAccess;
  try {
    access = accessTo(caller, rows[0]);
  } catch {
    return null;
  }
  if (access === 'masked') return null;
  const res = toResident(rows[0], access);
  await audited(ctx, rows, 'read-by-id-number');
  return res;
}

function validName(raw: string): string {
  const name = (raw ?? '').trim();
  if (Array.from(name).length < 2 || Array.from(name).length > 40) throw badInput('name must have 2 to 40 characters', { field: 'name' });
  return name;
}

function validHousehold(raw: string | null | undefined): string | null {
  if (raw == null || raw === '') return null;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(raw)) throw badInput('householdId must be 1 to 64 letters, digits, - or _', { field: 'householdId' });
  return raw;
}

const factsOf = (r: ResidentDbRow): ResidentFactsSource => ({
  id: r.id,
  name: r.name,
  birthDate: r.birth_date,
  hukou: r.hukou,
  divisionCode: r.division_code,
  householdId: r.household_id,
});

async function insertResident(m: EntityManager, v: { idNumber: string; name: string; birthDate: string; hukou: string; divisionCode: string; householdId: string | null }): Promise<ResidentDbRow> {
  const rows: ResidentDbRow[] = await m.query(
    `INSERT INTO "${SCHEMA}".residents (id_number, name, birth_date, hukou, division_code, household_id)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id_number) DO NOTHING RETURNING ${COLUMNS}`,
    [v.idNumber, v.name, v.birthDate, v.hukou, v.divisionCode, v.householdId],
  );
  if (!rows.length) throw conflict('a resident with this ID number is registered already', { field: 'idNumber' });
  await residentRegistered(m, factsOf(rows[0]));
  return rows[0];
}

export async function registerResident(rt: RegistryRuntime, caller: Caller, input: RegisterResidentInput): Promise<Resident> {
  const { idNumber, birthDate } = parseIdNumber(input.idNumber);
  const name = validName(input.name);
  const householdId = validHousehold(input.householdId);
  const division = await requireDivisionExists(rt.ds, input.divisionCode);
  if (division.level !== 'VILLAGE') throw badInput('a resident lives in a village or community (12-digit code)', { field: 'divisionCode' });
  if (!isCityWide(caller) && !isWithinDivision(division.code, caller.division)) throw forbidden('outside the caller\'s division');
  const row = await rt.ds.transaction((m) => insertResident(m, { idNumber, name, birthDate, hukou: input.hukou, divisionCode: division.code, householdId }));
  return toResident(row, 'full');
}

export async function updateResident(rt: RegistryRuntime, caller: Caller, id: string, input: UpdateResidentInput): Promise<Resident> {
  return rt.ds.transaction(async (m) => {
    const rows: ResidentDbRow[] = isUuid(id) ? await m.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".residents WHERE id = $1 FOR UPDATE`, [id]) : [];
    if (!rows.length) throw notFound('resident', id);
    const before = rows[0];
    if (!isCityWide(caller) && !isWithinDivision(before.division_code, caller.division)) throw forbidden('outside the caller\'s division');
    const name = input.name != null ? validName(input.name) : before.name;
    let divisionCode = before.division_code;
    if (input.divisionCode != null && input.divisionCode !== before.division_code) {
      const d = await requireDivisionExists(m, input.divisionCode);
      if (d.level !== 'VILLAGE') throw badInput('a resident lives in a village or community (12-digit code)', { field: 'divisionCode' });
      if (!isCityWide(caller) && !isWithinDivision(d.code, caller.division)) throw forbidden('the new division is outside the caller\'s division');
      divisionCode = d.code;
    }
    const householdId = input.householdId !== undefined ? validHousehold(input.householdId) : before.household_id;
    const hukou = input.hukou ?? before.hukou;
    const updated: ResidentDbRow[] = await m.query(
      // a bare UPDATE … RETURNING comes back from TypeORM as [rows, count]; a CTE returns rows
      `WITH u AS (UPDATE "${SCHEMA}".residents SET name = $2, division_code = $3, household_id = $4, hukou = $5, updated_at = now() WHERE id = $1 RETURNING *)
       SELECT ${COLUMNS} FROM u`,
      [id, name, divisionCode, householdId, hukou],
    );
    const after = updated[0];
    await residentChanged(m, { householdId: before.household_id }, factsOf(after));
    return toResident(after, 'full');
  });
}

export { insertResident };
