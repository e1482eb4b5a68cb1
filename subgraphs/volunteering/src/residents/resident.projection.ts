import type { EntityManager } from 'typeorm';
import { defineProjection, defineReadThrough, REGISTRY_TOPICS, type ResidentState } from '@citypoints/events';
import type { Ctx } from '../runtime';
import { SCHEMA } from '../runtime';
import { isUuid } from '@citypoints/kit';


const residentGroups = {
  place: { division_code: (p: ResidentState) => p.divisionCode },
  household: { household_id: (p: ResidentState) => p.householdId },
};

/** Registry's residents as volunteering keeps them: division and household, each at the highest version seen. */
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

export const residentEventHandlers = residentProjection.handlers;

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

