import { parsePayload, REGISTRY_TOPICS, type EventHandler } from '@citypoints/events';
import { linkRegisteredChild } from '../admission/application.service';
import type { SettlementRuntime } from '../runtime';

/**
 * A resident's registration, projected as before, then linked as the child of any open school
 * application that named their ID number before registry knew them (docs/domain/01-school-admission.md,
 * "Verified from the city's own records"). The link asks registry and writes applications, so this
 * handler runs one at a time, not beside other events as the bare projection did.
 */
export function childLinkHandlers(rt: Pick<SettlementRuntime, 'registry'>, projection: Record<string, EventHandler>): Record<string, EventHandler> {
  const contract = REGISTRY_TOPICS.residentRegistered;
  const project = projection[contract.topic];
  return {
    [contract.topic]: async (m, e) => {
      await project(m, e);
      await linkRegisteredChild(rt, m, parsePayload(contract, e.payload));
    },
  };
}
