import type { EntityManager } from 'typeorm';
import { publish, publishMany, type PublishInput } from '@citypoints/events';
import { SCHEMA } from './runtime';

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

/** enterprise-credit's events, written through the events lib into its outbox in the caller's transaction. */
export interface CreditPublisher {
  publish(m: EntityManager, input: PublishInput): Promise<string>;
  /** many events in one statement: a scoring chunk can change thousands of statuses at once */
  publishMany(m: EntityManager, inputs: PublishInput[]): Promise<number>;
}

export function creditPublisher(): CreditPublisher {
  return {
    publish: (m, input) => publish(m, SCHEMA, input),
    publishMany: (m, inputs) => publishMany(m, SCHEMA, inputs),
  };
}

/** Status changes of one transaction, into the outbox with it. */
export async function publishStatusChanges(publisher: CreditPublisher, m: EntityManager, changes: StatusChange[]): Promise<void> {
  if (!changes.length) return;
  await publisher.publishMany(
    m,
    changes.map((c) => ({ topic: TOPICS.statusChanged, aggregateId: c.uscc, payload: { ...c } })),
  );
}
