import type { EntityManager } from 'typeorm';
import type { DomainEvent, EventHandler } from '@citypoints/events';
import { SCHEMA } from '../context';
import { isUuid } from '@citypoints/kit';

interface ResidentPayload {
  id: string;
  nameMasked: string;
  divisionCode: string;
  householdId: string | null;
}

interface HouseholdPayload {
  residentId: string;
  householdId: string;
}

async function upsertResident(m: EntityManager, e: DomainEvent): Promise<void> {
  const p = e.payload as unknown as ResidentPayload;
  await m.query(
    `INSERT INTO "${SCHEMA}".residents (id, division_code, household_id, name_masked, updated_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO UPDATE SET division_code = EXCLUDED.division_code, household_id = EXCLUDED.household_id,
       name_masked = EXCLUDED.name_masked, updated_at = EXCLUDED.updated_at
     WHERE "${SCHEMA}".residents.updated_at <= EXCLUDED.updated_at`,
    [p.id, p.divisionCode, p.householdId ?? null, p.nameMasked, e.createdAt],
  );
}

/** Registry's resident facts, kept as a local projection: division (for scoping) and household. */
export const residentHandlers: Record<string, EventHandler> = {
  'registry.resident.registered': upsertResident,
  'registry.resident.changed': upsertResident,
  'registry.household.joined': async (m, e) => {
    const p = e.payload as unknown as HouseholdPayload;
    await m.query(`UPDATE "${SCHEMA}".residents SET household_id = $2 WHERE id = $1 AND updated_at <= $3`, [p.residentId, p.householdId, e.createdAt]);
  },
  'registry.household.left': async (m, e) => {
    const p = e.payload as unknown as HouseholdPayload;
    await m.query(`UPDATE "${SCHEMA}".residents SET household_id = NULL WHERE id = $1 AND household_id = $2 AND updated_at <= $3`, [p.residentId, p.householdId, e.createdAt]);
  },
};

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
