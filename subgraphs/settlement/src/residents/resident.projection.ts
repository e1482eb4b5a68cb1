import type { EntityManager } from 'typeorm';
import type { DomainEvent, EventHandler } from '@citypoints/events';
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

interface ResidentPayload {
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

/**
 * Events arrive at least once and in no fixed order, so each upsert only moves the row forward
 * in time: an older event delivered late never overwrites a newer one.
 */
export async function upsertResident(m: EntityManager, p: ResidentPayload, at: string): Promise<void> {
  await m.query(
    `INSERT INTO "${SCHEMA}".residents (id, name_masked, birth_date, division_code, household_id, hukou, event_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id) DO UPDATE SET name_masked = EXCLUDED.name_masked, birth_date = EXCLUDED.birth_date, division_code = EXCLUDED.division_code,
       household_id = EXCLUDED.household_id, hukou = EXCLUDED.hukou, event_at = EXCLUDED.event_at
     WHERE residents.event_at <= EXCLUDED.event_at`,
    [p.id, p.nameMasked, p.birthDate, p.divisionCode, p.householdId ?? null, p.hukou, at],
  );
}

const onResident: EventHandler = (m, e: DomainEvent) => upsertResident(m, e.payload as unknown as ResidentPayload, e.createdAt);

const onHousehold =
  (joined: boolean): EventHandler =>
  async (m, e) => {
    const p = e.payload as { residentId: string; householdId: string };
    await m.query(
      `UPDATE "${SCHEMA}".residents SET household_id = $3, event_at = $4
       WHERE id = $1 AND event_at <= $4 AND ($2::boolean OR household_id = $5)`,
      [p.residentId, joined, joined ? p.householdId : null, e.createdAt, p.householdId],
    );
  };

export const residentEventHandlers: Record<string, EventHandler> = {
  'registry.resident.registered': onResident,
  'registry.resident.changed': onResident,
  'registry.household.joined': onHousehold(true),
  'registry.household.left': onHousehold(false),
};


export async function residentFacts(m: Pick<EntityManager, 'query'>, id: string): Promise<ResidentFacts> {
  const rows = isUuid(id) ? await m.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".residents WHERE id = $1`, [id]) : [];
  if (!rows.length) throw notFound('resident', id);
  return toFacts(rows[0]);
}

export function residentFactsLoader(ctx: Ctx) {
  const rt = ctx.rt;
  return loader<string, ResidentFacts | null>(ctx, 'residentFacts', async (ids) => {
    const valid = ids.filter(isUuid);
    const rows = valid.length ? await rt.ds.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".residents WHERE id = ANY($1::uuid[])`, [valid]) : [];
    return byKeys<string, ResidentFacts>(ids, rows.map(toFacts), (r) => r.id);
  });
}
