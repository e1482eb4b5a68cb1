import type { EntityManager } from 'typeorm';
import { defineResidentProjection, type ResidentState } from '@citypoints/events';
import { SCHEMA } from '../context';
import type { Ctx } from '../runtime';
import { isUuid } from '@citypoints/kit';

const residentGroups = {
  place: { division_code: (p: ResidentState) => p.divisionCode },
  household: { household_id: (p: ResidentState) => p.householdId },
  identity: { name_masked: (p: ResidentState) => p.nameMasked },
};

/** Registry's resident facts, kept as a local projection: division (for scoping), household and masked name. */
export const { projection: residentProjection, readThrough: residentReadThrough } = defineResidentProjection(SCHEMA, residentGroups);

export const residentHandlers = residentProjection.handlers;

export const ensureResidents = (ctx: Ctx, ids: readonly string[]) => residentReadThrough.ensure(ctx, ctx.rt, ids.filter(isUuid));

export interface ProjectedResident {
  id: string;
  division_code: string;
  household_id: string | null;
  name_masked: string;
}

export async function projectedResident(m: Pick<EntityManager, 'query'>, id: string): Promise<ProjectedResident | null> {
  if (!isUuid(id)) return null;
  const rows: ProjectedResident[] = await m.query(`SELECT id, division_code, household_id, name_masked FROM "${SCHEMA}".residents WHERE id = $1`, [id]);
  return rows[0] ?? null;
}
