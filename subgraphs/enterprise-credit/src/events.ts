import type { EntityManager } from 'typeorm';
import { publish } from '@citypoints/events';
import { SCHEMA } from './context';

export const TOPICS = {
  recorded: 'enterprise-credit.record.recorded',
  repaired: 'enterprise-credit.record.repaired',
  statusChanged: 'enterprise-credit.status.changed',
} as const;

export interface StatusChange {
  uscc: string;
  previous: string;
  status: string;
  changedAt: string;
}

/**
 * Status changes of one transaction, into the outbox with it. A scoring chunk can change
 * thousands of statuses at once, so beyond a handful they go in as one INSERT … SELECT into the
 * same outbox table `publish` writes (same columns, same transaction, same relay).
 */
export async function publishStatusChanges(m: EntityManager, changes: StatusChange[]): Promise<void> {
  if (changes.length <= 16) {
    for (const c of changes) await publish(m, SCHEMA, { topic: TOPICS.statusChanged, aggregateId: c.uscc, payload: { ...c } });
    return;
  }
  await m.query(
    `INSERT INTO "${SCHEMA}".outbox (topic, aggregate_id, payload)
     SELECT $1, c.uscc, jsonb_build_object('uscc', c.uscc, 'previous', c.previous, 'status', c.status, 'changedAt', c.changed_at)
     FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS c(uscc, previous, status, changed_at)`,
    [TOPICS.statusChanged, changes.map((c) => c.uscc), changes.map((c) => c.previous), changes.map((c) => c.status), changes.map((c) => c.changedAt)],
  );
}
