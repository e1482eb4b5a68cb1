import type { EntityManager } from 'typeorm';
import { CREDIT_TOPICS, publish, publishMany, type PublishInput } from '@citypoints/events';
import { SCHEMA } from './runtime';

/** The topics of enterprise-credit's contracts; `publish` validates each payload against its contract. */
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
