import type { EntityManager } from 'typeorm';
import { publishFact, VOLUNTEERING_TOPICS } from '@citypoints/events';
import { SCHEMA } from '../runtime';

export interface ConfirmedHours {
  /** service_hours.id */
  recordId: string;
  residentId: string;
  needId: string | null;
  hours: number;
  confirmedAt: Date;
  enteredBy: 'SERVICE' | 'ADMINISTRATOR';
}

/**
 * Tells the city that hours were confirmed (settlement verifies volunteer-hours lines from them),
 * in the transaction that records them: the fact exists exactly when the hours do.
 */
export async function publishConfirmedHours(m: EntityManager, h: ConfirmedHours): Promise<void> {
  await publishFact(m, SCHEMA, VOLUNTEERING_TOPICS.hoursConfirmed, h.recordId, {
    recordId: h.recordId,
    residentId: h.residentId,
    needId: h.needId,
    hours: h.hours,
    confirmedAt: h.confirmedAt.toISOString(),
    enteredBy: h.enteredBy,
  });
}
