import type { EntityManager } from 'typeorm';
import { defineProjection, defineReadThrough, REGISTRY_TOPICS, type ResidentState } from '@citypoints/events';
import { SCHEMA } from '../context';
import type { Ctx } from '../runtime';
import { isUuid } from '@citypoints/kit';

const residentGroups = {
  place: { division_code: (p: ResidentState) => p.divisionCode },
  household: { household_id: (p: ResidentState) => p.householdId },
  identity: { name_masked: (p: ResidentState) => p.nameMasked },
};

/** Registry's resident facts, kept as a local projection: division (for scoping), household and masked name. */
export const residentProjection = defineProjection({
  schema: SCHEMA,
  table: 'residents',
  keyColumn: 'id',
  keyType: 'uuid',
  sources: [
    { contract: REGISTRY_TOPICS.residentRegistered, key: (p) => p.id, groups: residentGroups },
    { contract: REGISTRY_TOPICS.residentChanged, key: (p) => p.id, groups: residentGroups },
  ],
});

export const residentHandlers = residentProjection.handlers;

/** A resident registry knows but no event has brought yet is asked of registry and projected before the answer (read-your-writes). */
export const residentReadThrough = defineReadThrough({
  kind: 'residents',
  projection: residentProjection,
  contract: REGISTRY_TOPICS.residentChanged,
  known: (m, ids) => m.query(`SELECT id::text AS id FROM "${SCHEMA}".residents WHERE id = ANY($1::uuid[])`, [ids.filter(isUuid)]).then((rows: { id: string }[]) => rows.map((r) => r.id)),
});

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
