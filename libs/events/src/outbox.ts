import { assertIdentifier, EntityManager } from '@citypoints/db';
import { badInput } from '@citypoints/kit';

/** What a consumer receives: the outbox row, plus the schema it came from. */
export interface DomainEvent<P = Record<string, unknown>> {
  id: string;
  topic: string;
  aggregateId: string;
  payload: P;
  /** ISO timestamp of the publishing transaction's insert */
  createdAt: string;
  /** the publishing subgraph's schema */
  source: string;
}

export interface PublishInput {
  topic: string;
  aggregateId: string;
  payload: Record<string, unknown>;
}

/** `<subgraph>.<entity>.<verb>`, lower case, words joined by hyphens. */
export const TOPIC_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*(\.[a-z][a-z0-9]*(-[a-z0-9]+)*){2}$/;

/** SQL for the subgraph's own migration class: `up`/`down` statements run in order. */
export function eventsMigrationSql(schema: string): { up: string[]; down: string[] } {
  assertIdentifier(schema);
  return {
    up: [
      `CREATE TABLE "${schema}"."outbox" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "topic" text NOT NULL,
        "aggregate_id" text NOT NULL,
        "payload" jsonb NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT clock_timestamp(),
        "relayed_at" timestamptz NULL
      )`,
      // the relay only ever scans rows still to send; the partial index stays small
      `CREATE INDEX "outbox_unrelayed_idx" ON "${schema}"."outbox" ("created_at") WHERE "relayed_at" IS NULL`,
      `CREATE TABLE "${schema}"."inbox" (
        "event_id" uuid NOT NULL,
        "consumer" text NOT NULL,
        "processed_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("event_id", "consumer")
      )`,
    ],
    down: [`DROP TABLE IF EXISTS "${schema}"."inbox"`, `DROP TABLE IF EXISTS "${schema}"."outbox"`],
  };
}

/**
 * Writes an event to the outbox in the caller's transaction: it exists exactly when the change
 * it describes commits. Refuses a manager outside a transaction, where that would not hold.
 */
export async function publish(manager: EntityManager, schema: string, input: PublishInput): Promise<string> {
  assertIdentifier(schema);
  if (!manager.queryRunner?.isTransactionActive) {
    throw new Error('publish needs the EntityManager of an open transaction (dataSource.transaction(m => ...))');
  }
  if (!TOPIC_PATTERN.test(input.topic)) {
    throw badInput(`topic ${input.topic} is not <subgraph>.<entity>.<verb>`, { field: 'topic' });
  }
  if (!input.aggregateId) throw badInput('an event needs the id of the aggregate it is about', { field: 'aggregateId' });
  const rows: { id: string }[] = await manager.query(
    `INSERT INTO "${schema}"."outbox" ("topic", "aggregate_id", "payload") VALUES ($1, $2, $3::jsonb) RETURNING "id"`,
    [input.topic, input.aggregateId, JSON.stringify(input.payload ?? {})],
  );
  return rows[0].id;
}

/**
 * `publish` for many events of one transaction in one statement (a batch job can change
 * thousands of aggregates at once): the same checks, the same outbox rows. Returns how many.
 */
export async function publishMany(manager: EntityManager, schema: string, inputs: PublishInput[]): Promise<number> {
  assertIdentifier(schema);
  if (!manager.queryRunner?.isTransactionActive) {
    throw new Error('publishMany needs the EntityManager of an open transaction (dataSource.transaction(m => ...))');
  }
  for (const input of inputs) {
    if (!TOPIC_PATTERN.test(input.topic)) throw badInput(`topic ${input.topic} is not <subgraph>.<entity>.<verb>`, { field: 'topic' });
    if (!input.aggregateId) throw badInput('an event needs the id of the aggregate it is about', { field: 'aggregateId' });
  }
  if (!inputs.length) return 0;
  await manager.query(
    `INSERT INTO "${schema}"."outbox" ("topic", "aggregate_id", "payload")
     SELECT e.topic, e.aggregate_id, e.payload::jsonb FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS e(topic, aggregate_id, payload, n) ORDER BY e.n`,
    [inputs.map((i) => i.topic), inputs.map((i) => i.aggregateId), inputs.map((i) => JSON.stringify(i.payload ?? {}))],
  );
  return inputs.length;
}
