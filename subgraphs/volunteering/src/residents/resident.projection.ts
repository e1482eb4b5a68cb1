import type { EntityManager } from 'typeorm';
import { defineResidentProjection, type ResidentState } from '@citypoints/events';
import type { Ctx } from '../runtime';
import { SCHEMA } from '../runtime';
import { isUuid } from '@citypoints/kit';


const residentGroups = {
  place: { division_code: (p: ResidentState) => p.divisionCode },
  household: { household_id: (p: ResidentState) => p.householdId },
};

/** Registry's residents as volunteering keeps them: division and household, each at the highest version seen. */
export const { projection: residentProjection, readThrough: residentReadThrough } = defineResidentProjection(SCHEMA, residentGroups);

export const residentEventHandlers = residentProjection.handlers;

export const ensureResidents = (ctx: Ctx, ids: readonly string[]) => residentReadThrough.ensure(ctx, ctx.rt, ids.filter(isUuid));

export interface ProjectedResident {
  id: string;
  divisionCode: string | null;
  householdId: string | null;
}

export async function projectedResidents(ids: readonly string[], m: Pick<EntityManager, 'query'>): Promise<Map<string, ProjectedResident>> {
  const valid = [...new Set(ids.filter(isUuid))];
  if (!valid.length) return new Map();
  const rows: { id: string; division_code: string | null; household_id: string | null }[] = await m.query(
    `SELECT id, division_code, household_id FROM "${SCHEMA}".residents WHERE id = ANY($1::uuid[])`,
    [valid],
  );
  return new Map(rows.map((r) => [r.id, { id: r.id, divisionCode: r.division_code, householdId: r.household_id }]));
}

