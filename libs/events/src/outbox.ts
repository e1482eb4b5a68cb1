import { assertIdentifier, EntityManager, sqlMigration, type MigrationSql } from '@citypoints/db';
import { badInput } from '@citypoints/kit';
import { currentTraceparent } from '@citypoints/log';
import { contractOf, parsePayload, type PayloadOf, type TopicContract } from './contracts';

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
  /**
   * W3C trace context of the span that published it (the request's, usually), so each consumer
   * continues that trace; absent when it was published outside any span.
   */
  traceparent?: string;
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

/**
 * The channel a publishing transaction notifies on commit (PostgreSQL delivers NOTIFY only when
 * the transaction commits), so the relay sends at once instead of at its next poll.
 */
export function outboxChannel(schema: string): string {
  return `citypoints_outbox_${schema}`;
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
export function eventVersionsMigrationSql(schema: string): MigrationSql {
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

/**
 * SQL of the migration that keeps the trace context of the publishing span with each event
 * (`outbox.traceparent`), which the relay hands on in the event and its consumers continue.
 */
export function eventTraceMigrationSql(schema: string): MigrationSql {
  assertIdentifier(schema);
  return {
    up: [`ALTER TABLE "${schema}"."outbox" ADD COLUMN "traceparent" text NULL`],
    down: [`ALTER TABLE "${schema}"."outbox" DROP COLUMN "traceparent"`],
  };
}

/**
 * The migration that versions every event, in a subgraph's schema, with the subgraph's own
 * statements of the same step (its projection's `versions` column, say): `own.up` after the shared
 * statements, `own.down` before theirs are undone.
 */
export function eventVersionsMigration(schema: string, own: MigrationSql = { up: [], down: [] }): ReturnType<typeof sqlMigration> {
  const shared = eventVersionsMigrationSql(schema);
  return sqlMigration({ up: [...shared.up, ...own.up], down: [...own.down, ...shared.down] });
}

/** The migration that keeps each event's trace context, in a subgraph's schema. */
export function eventTraceMigration(schema: string): ReturnType<typeof sqlMigration> {
  return sqlMigration(eventTraceMigrationSql(schema));
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
  const e = checkedInput(input);
  const rows: { id: string }[] = await manager.query(
    `WITH seq AS (
       INSERT INTO "${schema}"."outbox_sequence" ("stream", "aggregate_id", "version") VALUES ($4, $2, 1)
       ON CONFLICT ("stream", "aggregate_id") DO UPDATE SET "version" = "outbox_sequence"."version" + 1
       RETURNING "version")
     , ins AS (
       INSERT INTO "${schema}"."outbox" ("topic", "aggregate_id", "payload", "version", "schema_version", "traceparent")
       SELECT $1, $2, $3::jsonb, seq."version", $5, $7 FROM seq RETURNING "id")
     SELECT ins."id", pg_notify($6, '') FROM ins`,
    [e.topic, e.aggregateId, JSON.stringify(e.payload), streamOf(e.topic), e.schemaVersion, outboxChannel(schema), currentTraceparent() ?? null],
  );
  return rows[0].id;
}

/**
 * The topic's shape, and the payload under its contract when the topic has one (every topic a
 * subgraph publishes does): a producer cannot put a payload its consumers would refuse.
 */
function checkedInput(input: PublishInput): Required<PublishInput> {
  if (!TOPIC_PATTERN.test(input.topic)) throw badInput(`topic ${input.topic} is not <subgraph>.<entity>.<verb>`, { field: 'topic' });
  if (!input.aggregateId) throw badInput('an event needs the id of the aggregate it is about', { field: 'aggregateId' });
  const contract = contractOf(input.topic);
  if (!contract) return { ...input, payload: input.payload ?? {}, schemaVersion: input.schemaVersion ?? 1 };
  return { ...input, payload: parsePayload(contract, input.payload) as Record<string, unknown>, schemaVersion: contract.schemaVersion };
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

/** `publishFact` for many aggregates at once (see `publishMany`). */
export async function publishFacts<C extends TopicContract>(
  manager: EntityManager,
  schema: string,
  contract: C,
  facts: { aggregateId: string; payload: PayloadOf<C> }[],
): Promise<number> {
  return publishMany(
    manager,
    schema,
    facts.map((f) => ({ topic: contract.topic, aggregateId: f.aggregateId, payload: parsePayload(contract, f.payload) as Record<string, unknown>, schemaVersion: contract.schemaVersion })),
  );
}

/**
 * `publish` for many events of one transaction in one statement (a batch job can change
 * thousands of aggregates at once): the same checks, the same outbox rows, and each aggregate's
 * events numbered on from its stream's last version in the order given. Returns how many.
 */
export async function publishMany(manager: EntityManager, schema: string, inputs: PublishInput[]): Promise<number> {
  assertIdentifier(schema);
  requireTransaction(manager);
  const checked = inputs.map(checkedInput);
  if (!checked.length) return 0;
  await manager.query(
    `WITH e AS (
       SELECT e.*, row_number() OVER (PARTITION BY e.stream, e.aggregate_id ORDER BY e.n) AS k,
              count(*) OVER (PARTITION BY e.stream, e.aggregate_id) AS c
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[]) WITH ORDINALITY AS e(topic, aggregate_id, payload, stream, schema_version, n)),
     seq AS (
       INSERT INTO "${schema}"."outbox_sequence" ("stream", "aggregate_id", "version")
       SELECT DISTINCT stream, aggregate_id, c FROM e
       ON CONFLICT ("stream", "aggregate_id") DO UPDATE SET "version" = "outbox_sequence"."version" + EXCLUDED."version"
       RETURNING "stream", "aggregate_id", "version")
     , ins AS (
       INSERT INTO "${schema}"."outbox" ("topic", "aggregate_id", "payload", "version", "schema_version", "traceparent")
       SELECT e.topic, e.aggregate_id, e.payload::jsonb, seq."version" - e.c + e.k, e.schema_version, $7
       FROM e JOIN seq ON seq."stream" = e.stream AND seq."aggregate_id" = e.aggregate_id ORDER BY e.n
       RETURNING 1)
     SELECT pg_notify($6, '') FROM (SELECT 1 FROM ins LIMIT 1) x`,
    [
      checked.map((i) => i.topic),
      checked.map((i) => i.aggregateId),
      checked.map((i) => JSON.stringify(i.payload)),
      checked.map((i) => streamOf(i.topic)),
      checked.map((i) => i.schemaVersion),
      outboxChannel(schema),
      currentTraceparent() ?? null,
    ],
  );
  return checked.length;
}
