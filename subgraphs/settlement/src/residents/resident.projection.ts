import type { EntityManager } from 'typeorm';
import { defineResidentProjection, type ResidentState } from '@citypoints/events';
import { byKeys, loader } from '@citypoints/federation';
import { isUuid, notFound } from '@citypoints/kit';
import { SCHEMA } from '../context';
import type { Ctx, SettlementRuntime } from '../runtime';

/** A resident as settlement knows them: enough to score, scope and publish a ranking. */
export interface ResidentFacts {
  id: string;
  nameMasked: string;
  birthDate: string;
  divisionCode: string;
  householdId: string | null;
  hukou: 'LOCAL' | 'MIGRANT';
}

const COLUMNS = `id, name_masked, to_char(birth_date, 'YYYY-MM-DD') AS birth_date, division_code, household_id, hukou`;

const toFacts = (r: { id: string; name_masked: string; birth_date: string; division_code: string; household_id: string | null; hukou: 'LOCAL' | 'MIGRANT' }): ResidentFacts => ({
  id: r.id,
  nameMasked: r.name_masked,
  birthDate: r.birth_date,
  divisionCode: r.division_code,
  householdId: r.household_id,
  hukou: r.hukou,
});

const residentGroups = {
  identity: { name_masked: (p: ResidentState) => p.nameMasked, birth_date: (p: ResidentState) => p.birthDate, hukou: (p: ResidentState) => p.hukou },
  place: { division_code: (p: ResidentState) => p.divisionCode },
  household: { household_id: (p: ResidentState) => p.householdId },
};

/** Registry's residents as settlement keeps them; an older fact delivered late never overwrites a newer one. */
export const { projection: residentProjection, readThrough: residentReadThrough } = defineResidentProjection(SCHEMA, residentGroups);

export const residentEventHandlers = residentProjection.handlers;

export const ensureResidents = (ctx: Ctx, ids: readonly string[]) => residentReadThrough.ensure(ctx, ctx.rt, ids.filter(isUuid));


export async function residentFacts(m: Pick<EntityManager, 'query'>, id: string): Promise<ResidentFacts> {
  const rows = isUuid(id) ? await m.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".residents WHERE id = $1`, [id]) : [];
  if (!rows.length) throw notFound('resident', id);
  return toFacts(rows[0]);
}

export function residentFactsLoader(ctx: Ctx) {
  const rt = ctx.rt;
  return loader<string, ResidentFacts | null>(ctx, 'residentFacts', async (ids) => {
    const valid = ids.filter(isUuid);
    const read = (keys: string[]) => (keys.length ? rt.ds.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".residents WHERE id = ANY($1::uuid[])`, [keys]) : []);
    const rows = await read(valid);
    // residents registry knows but no event has brought yet: asked of registry, then read
    const missing = valid.filter((id) => !rows.some((r: { id: string }) => r.id === id));
    if (missing.length) rows.push(...(await read([...(await residentReadThrough.fill(ctx, ctx.rt, missing))])));
    return byKeys<string, ResidentFacts>(ids, rows.map(toFacts), (r) => r.id);
  });
}
