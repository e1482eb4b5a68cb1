import { isUuid } from '@citypoints/kit';
import { REGISTRY_TOPICS, type ResidentState } from './contracts';
import { defineReadThrough, type ReadThrough } from './owner-lookup';
import { defineProjection, type Projection } from './projection';

/** The field groups a consumer keeps of registry's residents: group → column → the fact it holds. */
export type ResidentGroups = Record<string, Record<string, (p: ResidentState) => unknown>>;

/**
 * Registry's residents as one consumer keeps them in its `residents` table: the groups it names,
 * each at the highest version seen, fed by the registered and changed events; a resident no event
 * has brought yet is asked of registry (read-your-writes).
 */
export function defineResidentProjection(schema: string, groups: ResidentGroups): { projection: Projection; readThrough: ReadThrough } {
  const projection = defineProjection({
    schema,
    table: 'residents',
    keyColumn: 'id',
    keyType: 'uuid',
    sources: [
      { contract: REGISTRY_TOPICS.residentRegistered, key: (p) => p.id, groups },
      { contract: REGISTRY_TOPICS.residentChanged, key: (p) => p.id, groups },
    ],
  });
  const readThrough = defineReadThrough({
    kind: 'residents',
    projection,
    contract: REGISTRY_TOPICS.residentChanged,
    known: (m, ids) => m.query(`SELECT id::text AS id FROM "${schema}".residents WHERE id = ANY($1::uuid[])`, [ids.filter(isUuid)]).then((rows: { id: string }[]) => rows.map((r) => r.id)),
  });
  return { projection, readThrough };
}
