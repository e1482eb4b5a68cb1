import type { EntityManager } from 'typeorm';
import type { DomainEvent, EventHandler } from '@citypoints/events';
import { SCHEMA } from '../runtime';
import { isUuid } from '@citypoints/kit';

interface ResidentPayload {
  id: string;
  divisionCode: string;
  householdId: string | null;
}

interface HouseholdPayload {
  residentId: string;
  householdId: string;
}


/**
 * A registration or change carries the resident's whole state; each part is taken only when the
 * event is newer than what set it last, so a late redelivery cannot undo a later change.
 */
async function applyResident(m: EntityManager, e: DomainEvent): Promise<void> {
  const p = e.payload as Partial<ResidentPayload>;
  if (!isUuid(p.id ?? '')) return;
  await m.query(
    `INSERT INTO "${SCHEMA}".residents (id, division_code, household_id, state_at, household_at) VALUES ($1, $2, $3, $4, $4)
     ON CONFLICT (id) DO UPDATE SET
       division_code = CASE WHEN residents.state_at IS NULL OR residents.state_at <= EXCLUDED.state_at THEN EXCLUDED.division_code ELSE residents.division_code END,
       state_at = greatest(residents.state_at, EXCLUDED.state_at),
       household_id = CASE WHEN residents.household_at IS NULL OR residents.household_at <= EXCLUDED.household_at THEN EXCLUDED.household_id ELSE residents.household_id END,
       household_at = greatest(residents.household_at, EXCLUDED.household_at)`,
    [p.id, p.divisionCode ?? null, p.householdId ?? null, e.createdAt],
  );
}

async function applyHousehold(m: EntityManager, e: DomainEvent, joined: boolean): Promise<void> {
  const p = e.payload as Partial<HouseholdPayload>;
  if (!isUuid(p.residentId ?? '')) return;
  await m.query(
    `INSERT INTO "${SCHEMA}".residents (id, household_id, household_at) VALUES ($1, $2, $3)
     ON CONFLICT (id) DO UPDATE SET
       household_id = CASE
         WHEN residents.household_at IS NOT NULL AND residents.household_at > EXCLUDED.household_at THEN residents.household_id
         WHEN $4::boolean THEN EXCLUDED.household_id
         WHEN residents.household_id = $5::text THEN NULL
         ELSE residents.household_id END,
       household_at = greatest(residents.household_at, EXCLUDED.household_at)`,
    [p.residentId, joined ? p.householdId : null, e.createdAt, joined, p.householdId],
  );
}

export const residentEventHandlers: Record<string, EventHandler> = {
  'registry.resident.registered': (m, e) => applyResident(m, e),
  'registry.resident.changed': (m, e) => applyResident(m, e),
  'registry.household.joined': (m, e) => applyHousehold(m, e, true),
  'registry.household.left': (m, e) => applyHousehold(m, e, false),
};

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

