import { assertIdentifier, EntityManager } from '@citypoints/db';
import { badInput } from '@citypoints/kit';
import { parsePayload, type PayloadOf, type TopicContract } from './contracts';

/** What a consumer receives: the outbox row, plus the schema it came from. */
export interface DomainEvent<P = Record<string, unknown>> {
  id: string;
  topic: string;
  aggregateId: string;
  /**
   * The producer's version of the aggregate's stream (`<subgraph>.<entity>` + aggregate id): 1, 2, …
   * in the order the producing transactions committed their changes to that aggregate.
   */
  version: number;
  /** version of the topic's payload schema */
  schemaVersion: number;
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
  schemaVersion?: number;
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

/** The stream an event's version counts in: `<subgraph>.<entity>` of its topic. */
export function streamOf(topic: string): string {
  return topic.slice(0, topic.lastIndexOf('.'));
}

/**
 * SQL of the migration that versions every event: `outbox.version` is the aggregate's sequence
 * number, assigned from `outbox_sequence` in the producing transaction (the row lock orders two
 * writers of one aggregate as their transactions commit).
 */
export function eventVersionsMigrationSql(schema: string): { up: string[]; down: string[] } {
  assertIdentifier(schema);
  return {
    up: [
      `CREATE TABLE "${schema}"."outbox_sequence" (
        "stream" text NOT NULL,
        "aggregate_id" text NOT NULL,
        "version" bigint NOT NULL,
        PRIMARY KEY ("stream", "aggregate_id")
      )`,
      `ALTER TABLE "${schema}"."outbox" ADD COLUMN "version" bigint NOT NULL DEFAULT 0, ADD COLUMN "schema_version" int NOT NULL DEFAULT 1`,
    ],
    down: [`ALTER TABLE "${schema}"."outbox" DROP COLUMN "schema_version", DROP COLUMN "version"`, `DROP TABLE IF EXISTS "${schema}"."outbox_sequence"`],
  };
}

function requireTransaction(manager: EntityManager): void {
  if (!manager.queryRunner?.isTransactionActive) {
    throw new Error('publish needs the EntityManager of an open transaction (dataSource.transaction(m => ...))');
  }
}

/**
 * Writes an event to the outbox in the caller's transaction: it exists exactly when the change
 * it describes commits. Refuses a manager outside a transaction, where that would not hold.
 */
export async function publish(manager: EntityManager, schema: string, input: PublishInput): Promise<string> {
  assertIdentifier(schema);
  requireTransaction(manager);
  if (!TOPIC_PATTERN.test(input.topic)) {
    throw badInput(`topic ${input.topic} is not <subgraph>.<entity>.<verb>`, { field: 'topic' });
  }
  if (!input.aggregateId) throw badInput('an event needs the id of the aggregate it is about', { field: 'aggregateId' });
  const rows: { id: string }[] = await manager.query(
    `WITH seq AS (
       INSERT INTO "${schema}"."outbox_sequence" ("stream", "aggregate_id", "version") VALUES ($4, $2, 1)
       ON CONFLICT ("stream", "aggregate_id") DO UPDATE SET "version" = "outbox_sequence"."version" + 1
       RETURNING "version")
     INSERT INTO "${schema}"."outbox" ("topic", "aggregate_id", "payload", "version", "schema_version")
     SELECT $1, $2, $3::jsonb, seq."version", $5 FROM seq RETURNING "id"`,
    [input.topic, input.aggregateId, JSON.stringify(input.payload ?? {}), streamOf(input.topic), input.schemaVersion ?? 1],
  );
  return rows[0].id;
}

/** Publishes a fact under its contract: the payload is validated (and stripped to it) first. */
export async function publishFact<C extends TopicContract>(
  manager: EntityManager,
  schema: string,
  contract: C,
  aggregateId: string,
  payload: PayloadOf<C>,
): Promise<string> {
  const valid = parsePayload(contract, payload) as Record<string, unknown>;
  return publish(manager, schema, { topic: contract.topic, aggregateId, payload: valid, schemaVersion: contract.schemaVersion });
}

/**
 * Many facts of one topic in one statement, for jobs that change thousands of aggregates at
 * once; each aggregate's version is assigned as by `publishFact`. Each aggregate appears once.
 */
export async function publishFacts<C extends TopicContract>(
  manager: EntityManager,
  schema: string,
  contract: C,
  facts: { aggregateId: string; payload: PayloadOf<C> }[],
): Promise<void> {
  assertIdentifier(schema);
  requireTransaction(manager);
  if (!facts.length) return;
  const ids = facts.map((f) => f.aggregateId);
  if (new Set(ids).size !== ids.length) throw new Error(`publishFacts: an aggregate appears twice in one batch of ${contract.topic}`);
  const payloads = facts.map((f) => JSON.stringify(parsePayload(contract, f.payload)));
  await manager.query(
    `WITH seq AS (
       INSERT INTO "${schema}"."outbox_sequence" ("stream", "aggregate_id", "version")
       SELECT $2, a, 1 FROM unnest($3::text[]) AS a
       ON CONFLICT ("stream", "aggregate_id") DO UPDATE SET "version" = "outbox_sequence"."version" + 1
       RETURNING "aggregate_id", "version")
     INSERT INTO "${schema}"."outbox" ("topic", "aggregate_id", "payload", "version", "schema_version")
     SELECT $1, f.a, f.p::jsonb, seq."version", $5
     FROM unnest($3::text[], $4::text[]) AS f(a, p) JOIN seq ON seq."aggregate_id" = f.a`,
    [contract.topic, streamOf(contract.topic), ids, payloads, contract.schemaVersion],
  );
}
