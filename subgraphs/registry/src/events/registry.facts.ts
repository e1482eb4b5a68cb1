import type { EntityManager } from 'typeorm';
import { publishFact, REGISTRY_TOPICS, type EnterpriseState, type OrganisationState, type ResidentState } from '@citypoints/events';
import { maskName } from '@citypoints/kit';
import { SCHEMA } from '../runtime';

/** A resident as registry stores them, in whatever shape the caller read them (the ID number is never published). */
export interface ResidentFactsSource {
  id: string;
  name: string;
  birthDate: string;
  hukou: 'LOCAL' | 'MIGRANT';
  divisionCode: string;
  householdId: string | null;
}

/** The one place a resident's published state is built: the service, the demo seed and the internal lookup use it. */
export function residentState(r: ResidentFactsSource): ResidentState {
  return {
    id: r.id,
    nameMasked: maskName(r.name),
    birthDate: r.birthDate,
    hukou: r.hukou,
    divisionCode: r.divisionCode,
    householdId: r.householdId,
  };
}

export async function residentRegistered(m: EntityManager, r: ResidentFactsSource): Promise<void> {
  await publishFact(m, SCHEMA, REGISTRY_TOPICS.residentRegistered, r.id, residentState(r));
  if (r.householdId) await publishFact(m, SCHEMA, REGISTRY_TOPICS.householdJoined, r.householdId, { residentId: r.id, householdId: r.householdId });
}

export async function residentChanged(m: EntityManager, before: { householdId: string | null }, after: ResidentFactsSource): Promise<void> {
  await publishFact(m, SCHEMA, REGISTRY_TOPICS.residentChanged, after.id, residentState(after));
  if (before.householdId !== after.householdId) {
    if (before.householdId) await publishFact(m, SCHEMA, REGISTRY_TOPICS.householdLeft, before.householdId, { residentId: after.id, householdId: before.householdId });
    if (after.householdId) await publishFact(m, SCHEMA, REGISTRY_TOPICS.householdJoined, after.householdId, { residentId: after.id, householdId: after.householdId });
  }
}

export async function enterpriseRegistered(m: EntityManager, e: EnterpriseState): Promise<void> {
  await publishFact(m, SCHEMA, REGISTRY_TOPICS.enterpriseRegistered, e.uscc, e);
}

export async function organisationRegistered(m: EntityManager, o: OrganisationState): Promise<void> {
  await publishFact(m, SCHEMA, REGISTRY_TOPICS.organisationRegistered, o.uscc, o);
}

export async function membershipAdded(m: EntityManager, o: { uscc: string; kind: OrganisationState['kind'] }, enterpriseUscc: string): Promise<void> {
  await publishFact(m, SCHEMA, REGISTRY_TOPICS.membershipAdded, o.uscc, { organisationUscc: o.uscc, enterpriseUscc, kind: o.kind });
}
