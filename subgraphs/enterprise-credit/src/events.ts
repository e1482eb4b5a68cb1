import type { EntityManager } from 'typeorm';
import { CREDIT_TOPICS, publishFacts } from '@citypoints/events';
import { SCHEMA } from './context';

export const TOPICS = {
  recorded: CREDIT_TOPICS.recordRecorded.topic,
  repaired: CREDIT_TOPICS.recordRepaired.topic,
  statusChanged: CREDIT_TOPICS.statusChanged.topic,
} as const;

export interface StatusChange {
  uscc: string;
  previous: string;
  status: string;
  changedAt: string;
}

/**
 * Status changes of one transaction, into the outbox with it. A scoring chunk can change
 * thousands of statuses at once, so they go in as one statement, each enterprise's status stream
 * getting its next version.
 */
export async function publishStatusChanges(m: EntityManager, changes: StatusChange[]): Promise<void> {
  await publishFacts(m, SCHEMA, CREDIT_TOPICS.statusChanged, changes.map((c) => ({ aggregateId: c.uscc, payload: { ...c } })));
}
