import { commutative, parsePayload, REGISTRY_TOPICS, type EventHandler } from '@citypoints/events';
import { linkRegisteredChild } from '../admission/application.service';
import type { SettlementRuntime } from '../runtime';

/**
 * A resident's registration, projected as before, then linked as the child of any open school
 * application that named their ID number before registry knew them (docs/domain/01-school-admission.md,
 * "Verified from the city's own records"). It still runs beside other events, as the bare
 * projection did: the link writes only the applications naming this resident's ID number, only
 * while they are unlinked, under the locks a record fact takes, so in parallel or one after the
 * other it ends the same. Most registrations find no application and ask registry nothing.
 */
export function childLinkHandlers(rt: Pick<SettlementRuntime, 'registry'>, projection: Record<string, EventHandler>): Record<string, EventHandler> {
  const contract = REGISTRY_TOPICS.residentRegistered;
  const project = projection[contract.topic];
  return {
    [contract.topic]: commutative(async (m, e) => {
      await project(m, e);
      await linkRegisteredChild(rt, m, parsePayload(contract, e.payload));
    }),
  };
}
